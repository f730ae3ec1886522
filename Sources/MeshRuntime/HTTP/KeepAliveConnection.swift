import Glibc
import MeshCore

/// One kept-alive HTTP/1.1 connection to a control API, for clients that send many requests
/// (`mesh bench tasks`, tests): one request at a time, each answer read by its `Content-Length`.
/// When the node closes the connection (it answered `Connection: close`, or an idle keep-alive
/// lapsed), the next request opens a new one. Not thread-safe: one per thread.
public final class KeepAliveConnection {
    public let endpoint: SocketEndpoint
    public let token: String?
    /// Every request must be answered within this.
    public let timeout: Nanoseconds
    /// The largest answer accepted.
    public static let responseBytesMax = 16 << 20
    /// Connections opened (the first one included): more than one means the node closed some.
    public private(set) var connectionsOpened = 0

    private var fd: Int32 = -1
    private var pending = Bytes()
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 8)

    /// Opens the connection now, so that a node that is not there is known at once.
    public init(endpoint: SocketEndpoint, token: String? = nil, timeout: Nanoseconds = .seconds(15)) throws(ControlClient.Failure) {
        self.endpoint = endpoint; self.token = token; self.timeout = timeout
        try open(deadline: SystemClock.monotonicNanoseconds() + timeout)
    }

    deinit {
        close()
        buffer.deallocate()
    }

    /// Closes the connection (idempotent).
    public func close() {
        if fd >= 0 { closeDescriptor(fd) }
        fd = -1
        pending.removeAll()
    }

    /// Sends one request and reads its answer, whatever its status. A `POST` says
    /// `Content-Type: application/json`. Never repeated: a failure is thrown and the connection closed.
    public func send(_ method: String, _ path: String, body: Bytes = []) throws(ControlClient.Failure) -> (status: Int, body: Bytes) {
        let deadline = SystemClock.monotonicNanoseconds() + timeout
        if fd >= 0 && isClosedByNode { close() }
        if fd < 0 { try open(deadline: deadline) }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(endpoint)\r\nAccept: application/json\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        if method == "POST" { head += "Content-Type: application/json\r\n" }
        head += "Content-Length: \(body.count)\r\n\r\n"
        do throws(ControlClient.Failure) {
            try write(Array(head.utf8) + body, deadline: deadline)
            let (status, answer, closes) = try readAnswer(deadline: deadline)
            if closes { close() }
            return (status, answer)
        } catch {
            close()
            throw error
        }
    }

    /// True when the node has closed the idle connection (its end of file, or a reset, is
    /// waiting): the request goes on a new one instead, never into a closed socket.
    private var isClosedByNode: Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&entry, 1, 0) > 0 else { return false }
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT)) <= 0
    }

    private func open(deadline: Int64) throws(ControlClient.Failure) {
        do {
            (fd, _) = try Sockets.connect(to: endpoint, from: nil)
        } catch {
            throw .unreachable(endpoint: endpoint.description, reason: error.reason)
        }
        connectionsOpened += 1
        var noDelay: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
        try wait(for: Int16(POLLOUT), until: deadline)
        let error = Sockets.pendingError(fd)
        guard error == 0 else {
            close()
            throw .unreachable(endpoint: endpoint.description, reason: SystemError(call: "connect", code: error).reason)
        }
    }

    private func write(_ bytes: Bytes, deadline: Int64) throws(ControlClient.Failure) {
        try ControlClient.sendAll(bytes, on: fd, until: deadline, endpoint: endpoint.description)
    }

    /// Reads until one whole answer is in `pending`; returns it and whether the node closes after it.
    private func readAnswer(deadline: Int64) throws(ControlClient.Failure) -> (Int, Bytes, Bool) {
        while true {
            if let (status, body, consumed, closes) = try Self.parse(pending) {
                pending.removeFirst(consumed)
                return (status, body, closes)
            }
            let received: Int?
            do { received = try Sockets.receive(fd, into: buffer) } catch {
                throw .cutOff(endpoint: endpoint.description, reason: error.reason)
            }
            guard let count = received else {
                try wait(for: Int16(POLLIN), until: deadline)
                continue
            }
            guard count > 0 else { throw .cutOff(endpoint: endpoint.description, reason: "closed before answering") }
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            guard pending.count <= Self.responseBytesMax else { throw .badResponse("answer over \(Self.responseBytesMax) bytes") }
        }
    }

    /// One whole answer at the start of `bytes`: status, body, bytes it took, and whether it says
    /// `Connection: close`; nil while incomplete.
    static func parse(_ bytes: Bytes) throws(ControlClient.Failure) -> (Int, Bytes, Int, Bool)? {
        guard bytes.count >= 4, let headEnd = (0...(bytes.count - 4)).first(where: {
            bytes[$0] == 13 && bytes[$0 + 1] == 10 && bytes[$0 + 2] == 13 && bytes[$0 + 3] == 10
        }) else { return nil }
        let lines = HTTPRequestParser.lines(String(decoding: bytes[0..<headEnd], as: UTF8.self))
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            throw .badResponse("bad status line")
        }
        var length: Int?
        var closes = false
        for line in lines.dropFirst() {
            let pieces = line.split(separator: ":", maxSplits: 1)
            guard pieces.count == 2 else { continue }
            let name = pieces[0].lowercased()
            let value = Text.trimmed(pieces[1])
            if name == "content-length" { length = Int(value) }
            if name == "connection" { closes = value.lowercased() == "close" }
        }
        guard let length, length >= 0, length <= responseBytesMax else { throw .badResponse("no usable Content-Length") }
        let start = headEnd + 4
        guard bytes.count >= start + length else { return nil }
        return (status, Array(bytes[start..<(start + length)]), start + length, closes)
    }

    private func wait(for events: Int16, until deadline: Int64) throws(ControlClient.Failure) {
        try ControlClient.wait(fd, for: events, until: deadline, endpoint: endpoint.description)
    }
}
