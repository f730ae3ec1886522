import Glibc
import MeshCore

/// A client for the control API's streamed routes (uploads, followed logs, artifact downloads):
/// the request body may come from a file in pieces, and the answer's body is read piece by piece
/// as it arrives (`Content-Length`, chunked, or until the close), never whole in memory.
/// Not thread-safe: one request per instance.
public final class HTTPStreamClient {
    /// The answer's status and header fields (names lowercased).
    public private(set) var status = 0
    public private(set) var headers: [String: String] = [:]
    /// True once the body has ended properly (its length reached, or its last chunk read).
    public private(set) var isComplete = false

    private let endpoint: SocketEndpoint
    private let fd: Int32
    private let idleTimeout: Nanoseconds
    /// Bytes received and not yet handed out: `pending[start...]` (consumed bytes are dropped only
    /// when all are, or when more must be read, so handing out a piece never shifts the rest).
    private var pending = Bytes()
    private var start = 0
    private var remaining: Int?          // Content-Length bytes left, nil when chunked or until close
    private var isChunked = false
    private var chunkLeft = 0
    private var sawEnd = false
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 8)
    /// The longest answer head accepted.
    static let headBytesMax = 64 * 1024
    /// The longest chunk-size line accepted (with its extensions).
    static let chunkLineBytesMax = 1024

    /// Connects and sends `method path` with `body` (bytes) or `bodyFile` (`bodyLength` bytes read
    /// from it), then reads the answer's head. Throws when the node cannot be reached or answers
    /// nothing usable; any status is returned (check `status`).
    public init(endpoint: SocketEndpoint, token: String?, method: String, path: String, headers extra: [(String, String)] = [],
                body: Bytes = [], bodyFile: Int32? = nil, bodyLength: Int = 0, idleTimeout: Nanoseconds = .seconds(30)) throws(ControlClient.Failure) {
        self.endpoint = endpoint
        self.idleTimeout = idleTimeout
        do { (fd, _) = try Sockets.connect(to: endpoint, from: nil) } catch {
            buffer.deallocate()
            throw .unreachable(endpoint: endpoint.description, reason: error.reason)
        }
        do throws(ControlClient.Failure) {
            try ControlClient.wait(fd, for: Int16(POLLOUT), until: deadline, endpoint: endpoint.description)
            let error = Sockets.pendingError(fd)
            guard error == 0 else { throw .unreachable(endpoint: endpoint.description, reason: SystemError(call: "connect", code: error).reason) }
            var head = "\(method) \(path) HTTP/1.1\r\nHost: \(endpoint)\r\nConnection: close\r\n"
            if let token { head += "Authorization: Bearer \(token)\r\n" }
            for (name, value) in extra { head += "\(name): \(value)\r\n" }
            let length = bodyFile == nil ? body.count : bodyLength
            if method == "POST" || length > 0 { head += "Content-Length: \(length)\r\n" }
            head += "\r\n"
            try send(Array(head.utf8) + body)
            if let bodyFile { try sendFile(bodyFile, length: bodyLength) }
            try readHead()
        } catch {
            closeDescriptor(fd)
            buffer.deallocate()
            throw error
        }
    }

    deinit {
        closeDescriptor(fd)
        buffer.deallocate()
    }

    private var deadline: Int64 { SystemClock.monotonicNanoseconds() + idleTimeout }

    /// The next piece of the body; nil at its end. Throws `cutOff` when the node closed before
    /// the body was whole (a failover, a broken connection): what was read stays valid.
    public func read() throws(ControlClient.Failure) -> Bytes? {
        while true {
            if let piece = try takeBody() { return piece }
            if isComplete { return nil }
            guard try fill() else {
                if remaining == nil && !isChunked { isComplete = true; return nil }
                throw .cutOff(endpoint: endpoint.description, reason: "the body ended early")
            }
        }
    }

    /// The whole body (at most `bytesMax`), for the small JSON answers of these routes.
    public func readAll(bytesMax: Int = 1 << 20) throws(ControlClient.Failure) -> Bytes {
        var all = Bytes()
        while let piece = try read() {
            all += piece
            guard all.count <= bytesMax else { throw .badResponse("answer over \(bytesMax) bytes") }
        }
        return all
    }

    private func takeBody() throws(ControlClient.Failure) -> Bytes? {
        if !isChunked {
            guard start < pending.count else {
                if remaining == 0 { isComplete = true }
                return nil
            }
            let piece = take(min(pending.count - start, remaining ?? Int.max))
            if let left = remaining { remaining = left - piece.count; if left - piece.count == 0 { isComplete = true } }
            return piece.isEmpty ? nil : piece
        }
        while true {
            if chunkLeft > 0 {
                guard start < pending.count else { return nil }
                let piece = take(min(pending.count - start, chunkLeft))
                chunkLeft -= piece.count
                return piece
            }
            guard let lineEnd = Self.find(pending, from: start) else {
                guard pending.count - start <= Self.chunkLineBytesMax else { throw .badResponse("chunk-size line too long") }
                return nil
            }
            let line = String(decoding: pending[start..<lineEnd], as: UTF8.self)
            start = lineEnd + 2
            if line.isEmpty { continue }   // the CRLF after a chunk
            guard let size = Int(line.split(separator: ";").first ?? "", radix: 16), size >= 0 else { throw .badResponse("bad chunk size") }
            if size == 0 { isComplete = true; return nil }
            chunkLeft = size
        }
    }

    /// The next `count` unread bytes, as a piece of their own.
    private func take(_ count: Int) -> Bytes {
        let piece = Array(pending[start..<(start + count)])
        start += count
        return piece
    }

    private func readHead() throws(ControlClient.Failure) {
        while true {
            if let end = Self.findHeadEnd(pending) {
                let lines = HTTPRequestParser.lines(String(decoding: pending[0..<end], as: UTF8.self))
                start = end + 4
                let parts = lines[0].split(separator: " ")
                guard parts.count >= 2, let code = Int(parts[1]) else { throw .badResponse("bad status line") }
                status = code
                for line in lines.dropFirst() {
                    let pieces = line.split(separator: ":", maxSplits: 1)
                    if pieces.count == 2 { headers[pieces[0].lowercased()] = Text.trimmed(pieces[1]) }
                }
                isChunked = headers["transfer-encoding"]?.lowercased() == "chunked"
                if !isChunked, let text = headers["content-length"] { remaining = Int(text) }
                return
            }
            guard pending.count <= Self.headBytesMax else { throw .badResponse("answer head too large") }
            guard try fill() else { throw .cutOff(endpoint: endpoint.description, reason: "closed before answering") }
        }
    }

    /// Reads more into `pending`; false at the end of the stream.
    private func fill() throws(ControlClient.Failure) -> Bool {
        let until = deadline
        while true {
            let count: Int?
            do { count = try Sockets.receive(fd, into: buffer) } catch { throw .cutOff(endpoint: endpoint.description, reason: error.reason) }
            guard let count else {
                try ControlClient.wait(fd, for: Int16(POLLIN), until: until, endpoint: endpoint.description)
                continue
            }
            guard count > 0 else { return false }
            if start == pending.count {
                pending.removeAll(keepingCapacity: true)   // all handed out: the capacity is reused
            } else if start > 0 {
                pending.removeFirst(start)   // a few bytes of a chunk-size line, or a partial head
            }
            start = 0
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            return true
        }
    }

    private func send(_ bytes: Bytes) throws(ControlClient.Failure) {
        try ControlClient.sendAll(bytes, on: fd, until: deadline, endpoint: endpoint.description)
    }

    private func sendFile(_ file: Int32, length: Int) throws(ControlClient.Failure) {
        var left = length
        var chunk = Bytes(repeating: 0, count: 256 * 1024)
        while left > 0 {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(file, $0.baseAddress, min($0.count, left)) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw .badResponse("the file to upload ended early") }
            do throws(ControlClient.Failure) { try send(Array(chunk[0..<count])) } catch {
                return   // the node answered early (a refusal) and closed: its answer is read next
            }
            left -= count
        }
    }

    /// Where the first CRLF at or after `from` starts.
    private static func find(_ bytes: Bytes, from: Int) -> Int? {
        guard bytes.count >= from + 2 else { return nil }
        for i in from..<(bytes.count - 1) where bytes[i] == 13 && bytes[i + 1] == 10 { return i }
        return nil
    }

    private static func findHeadEnd(_ bytes: Bytes) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 { return i }
        return nil
    }
}
