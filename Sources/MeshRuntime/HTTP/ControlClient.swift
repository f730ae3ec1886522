import Glibc
import MeshCore

/// A small blocking HTTP/1.1 client for the control API, used by `mesh status`, `mesh leave`, the
/// demo, the benchmark and the tests. One connection per request; every step bounded by `timeout`.
public struct ControlClient: Sendable {
    /// Why a control request failed; `description` is one line for the operator.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// Nothing listens there (connection refused) or it cannot be reached.
        case unreachable(endpoint: String, reason: String)
        /// The node accepted the connection, then cut it off before answering (reset).
        case cutOff(endpoint: String, reason: String)
        /// The node did not answer in time.
        case timedOut(endpoint: String)
        /// The node answered with an error status.
        case status(Int, message: String)
        /// The answer was not the HTTP or JSON expected.
        case badResponse(String)

        public var description: String {
            switch self {
            case .unreachable(let endpoint, let reason):
                "no node answers at \(endpoint) (\(reason)); is 'mesh start' running there? (--http ADDR:PORT or MESH_HTTP)"
            case .cutOff(let endpoint, let reason):
                "the node at \(endpoint) closed the connection before answering (\(reason)); it may be overloaded, try again"
            case .timedOut(let endpoint): "the node at \(endpoint) did not answer in time"
            case .status(401, _): "the node refused the request: missing or wrong token (MESH_HTTP_TOKEN or --token-file)"
            case .status(let code, let message) where message.isEmpty:
                "the server answered \(code) with no explanation: is it a mesh node's control API? (--http ADDR:PORT or MESH_HTTP)"
            case .status(let code, let message): "the node answered \(code): \(message)"
            case .badResponse(let reason): "unexpected answer from the node: \(reason)"
            }
        }
    }

    public var endpoint: SocketEndpoint
    public var token: String?
    public var timeout: Nanoseconds
    /// Largest response accepted.
    public var responseBytesMax: Int

    public init(endpoint: SocketEndpoint, token: String? = nil, timeout: Nanoseconds = .seconds(3),
                responseBytesMax: Int = 16 << 20) {
        self.endpoint = endpoint; self.token = token; self.timeout = timeout; self.responseBytesMax = responseBytesMax
    }

    /// `GET /v1/status`.
    public func status() throws(Failure) -> StatusReport {
        let json = try decode(try request("GET", "/v1/status"))
        do { return try StatusReport(json: json) } catch { throw .badResponse(error.description) }
    }

    /// `GET /v1/health`.
    public func health() throws(Failure) -> HealthReport {
        let json = try decode(try request("GET", "/v1/health"))
        do { return try HealthReport(json: json) } catch { throw .badResponse(error.description) }
    }

    /// `POST /v1/leave` (with an empty JSON object as its body).
    public func leave() throws(Failure) { _ = try request("POST", "/v1/leave") }

    /// Sends one request; returns the body of a 2xx answer, throws for anything else.
    public func request(_ method: String, _ path: String, body: Bytes = []) throws(Failure) -> Bytes {
        let (status, responseBody) = try exchange(method, path, body: body)
        guard (200..<300).contains(status) else {
            let text = String(decoding: responseBody, as: UTF8.self)
            // A mesh node explains in `{"error": …}`; another server's page is cut to one printable line.
            let message = (try? JSONValue.parse(text)).flatMap(ControlError.message(in:)) ?? String(text.prefix(200))
            throw .status(status, message: Text.printableLine(message))
        }
        return responseBody
    }

    /// Sends one request and returns the status and body, whatever the status. `Host` names the
    /// endpoint exactly as the node listens on it; a `POST` says `Content-Type: application/json`
    /// and sends `{}` when `body` is empty (the node refuses any other POST, see `ControlRequestPolicy`).
    public func exchange(_ method: String, _ path: String, body: Bytes = []) throws(Failure) -> (status: Int, body: Bytes) {
        let deadline = SystemClock.monotonicNanoseconds() + timeout
        let request = requestBytes(method, path, body: body, accept: "application/json")
        // A GET that the node cut off, or refused for room (503), is tried once more: under a flood
        // of slow connections the node makes room by closing the oldest waiting ones, and under
        // load a client's own fresh connection can be among them before its bytes are read. Never
        // a POST: it is not safe to repeat.
        var isRetry = method != "GET"
        while true {
            do {
                let answer = try ControlClient.parseResponse(try roundTrip(request, deadline: deadline))
                guard answer.status == 503, !isRetry, SystemClock.monotonicNanoseconds() < deadline else { return answer }
            } catch .cutOff(let endpoint, let reason) {
                guard !isRetry, SystemClock.monotonicNanoseconds() < deadline else { throw .cutOff(endpoint: endpoint, reason: reason) }
            }
            isRetry = true
            usleep(20_000)   // a moment for the node to make room: a retry pause, not a synchronization
        }
    }

    private func decode(_ body: Bytes) throws(Failure) -> JSONValue {
        do {
            return try JSONValue.parse(String(decoding: body, as: UTF8.self))
        } catch {
            throw .badResponse(error.description)
        }
    }

    func roundTrip(_ request: Bytes, deadline: Int64) throws(Failure) -> Bytes {
        let name = endpoint.description
        let fd: Int32
        do {
            (fd, _) = try Sockets.connect(to: endpoint, from: nil)
        } catch {
            throw .unreachable(endpoint: name, reason: error.reason)
        }
        defer { closeDescriptor(fd) }
        try wait(fd, for: Int16(POLLOUT), until: deadline)
        let pending = Sockets.pendingError(fd)
        guard pending == 0 else { throw .unreachable(endpoint: name, reason: SystemError(call: "connect", code: pending).reason) }
        try Self.sendAll(request, on: fd, until: deadline, endpoint: name)
        var response = Bytes()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            let received: Int?
            do {
                received = try Sockets.receive(fd, into: buffer)
            } catch {
                throw .cutOff(endpoint: name, reason: error.reason)
            }
            guard let count = received else {
                try wait(fd, for: Int16(POLLIN), until: deadline)
                continue
            }
            if count == 0 { return response }
            response.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            guard response.count <= responseBytesMax else { throw .badResponse("answer over \(responseBytesMax) bytes") }
        }
    }

    private func wait(_ fd: Int32, for events: Int16, until deadline: Int64) throws(Failure) {
        try Self.wait(fd, for: events, until: deadline, endpoint: endpoint.description)
    }

    /// Waits until `fd` is ready for `events` or `deadline` (monotonic nanoseconds) passes; EINTR is retried.
    static func wait(_ fd: Int32, for events: Int16, until deadline: Int64, endpoint: String) throws(Failure) {
        while true {
            let left = deadline - SystemClock.monotonicNanoseconds()
            guard left > 0 else { throw .timedOut(endpoint: endpoint) }
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&entry, 1, Int32(min(left / 1_000_000 + 1, Int64(Int32.max))))
            if ready > 0 { return }
            if ready < 0 && errno != EINTR { throw .unreachable(endpoint: endpoint, reason: SystemError(call: "poll", code: errno).reason) }
        }
    }

    /// Writes all of `bytes` to the non-blocking socket `fd`, waiting for room until `deadline`.
    static func sendAll(_ bytes: Bytes, on fd: Int32, until deadline: Int64, endpoint: String) throws(Failure) {
        var offset = 0
        while offset < bytes.count {
            let sent: Int?
            do {
                let start = offset
                sent = try bytes.withUnsafeBytes { try Sockets.send(fd, UnsafeRawBufferPointer(rebasing: $0[start...])) }
            } catch {
                throw .cutOff(endpoint: endpoint, reason: (error as? SystemError)?.reason ?? "\(error)")
            }
            if let sent { offset += sent } else { try wait(fd, for: Int16(POLLOUT), until: deadline, endpoint: endpoint) }
        }
    }

    /// Splits a whole response into status and body (Content-Length, or everything after the head).
    static func parseResponse(_ raw: Bytes) throws(Failure) -> (status: Int, body: Bytes) {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard raw.count >= 12, let headEnd = (0...(raw.count - 4)).first(where: { Array(raw[$0..<($0 + 4)]) == separator }) else {
            throw .badResponse(raw.isEmpty ? "empty answer" : "no HTTP header")
        }
        let head = String(decoding: raw[0..<headEnd], as: UTF8.self)
        let lines = HTTPRequestParser.lines(head)
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            throw .badResponse("bad status line")
        }
        var body = Array(raw[(headEnd + 4)...])
        for line in lines.dropFirst() {
            let pieces = line.split(separator: ":", maxSplits: 1)
            if pieces.count == 2, pieces[0].lowercased() == "content-length",
               let length = Int(Text.trimmed(pieces[1])) {
                guard body.count >= length else { throw .badResponse("answer cut short") }
                body = Array(body.prefix(length))
            }
        }
        return (status, body)
    }
}

extension ControlClient {
    /// One request's bytes: `Host` names the endpoint exactly as the node listens on it, the token
    /// when there is one, and a `POST` says `Content-Type: application/json` and sends `{}` when
    /// `body` is empty (the node refuses any other POST, see `ControlRequestPolicy`).
    func requestBytes(_ method: String, _ path: String, body: Bytes, accept: String) -> Bytes {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(endpoint)\r\nConnection: close\r\nAccept: \(accept)\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        var body = body
        if method == "POST" {
            head += "Content-Type: application/json\r\n"
            if body.isEmpty { body = Array("{}".utf8) }
        }
        head += "Content-Length: \(body.count)\r\n\r\n"
        return Array(head.utf8) + body
    }
}
