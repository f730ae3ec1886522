import Dispatch
import Glibc
import MeshCore

/// The control API's HTTP/1.1 server: hand-written and bounded (ARCHITECTURE §9). One request per
/// connection; header and body sizes, open connections and the time a connection may take are all
/// limited. With a token, every request must carry `Authorization: Bearer TOKEN`. Confined to `queue`.
final class ControlServer: @unchecked Sendable {
    /// The bounds, each a named setting.
    struct Settings {
        var limits = HTTPLimits()
        /// Connections open at once; more are answered 503 and closed.
        var connectionsMax = 32
        /// A connection must deliver its request and take its response within this.
        var connectionTimeout: Nanoseconds = .seconds(5)
    }

    private let listener: Listener
    /// Where it listens (with the port the kernel chose, when bound to port 0).
    let endpoint: SocketEndpoint
    private let queue: DispatchQueue
    private let settings: Settings
    private let token: String?
    private let handler: (HTTPRequest) -> HTTPResponse
    private var open: [ObjectIdentifier: Connection] = [:]
    /// Requests refused before reaching the handler (malformed, too large, unauthorized, too many).
    private(set) var rejected: UInt64 = 0

    init(endpoint: SocketEndpoint, token: String?, settings: Settings = Settings(), queue: DispatchQueue,
         handler: @escaping (HTTPRequest) -> HTTPResponse) throws(SystemError) {
        let fd = try Sockets.listener(boundTo: endpoint)
        self.endpoint = Sockets.localEndpoint(fd) ?? endpoint
        let box = ControlAcceptBox()
        listener = Listener(fd: fd, queue: queue) { clientFD, peer in box.server?.accepted(clientFD, peer: peer) }
        self.queue = queue
        self.settings = settings
        self.token = token
        self.handler = handler
        box.server = self
    }

    func start() { listener.start() }

    func stop() {
        listener.stop()
        for connection in open.values { connection.close() }
        open.removeAll()
    }

    private func accepted(_ clientFD: Int32, peer: SocketEndpoint?) {
        let connection = Connection.accepted(fd: clientFD, peer: peer, queue: queue,
                                             inputBytesMax: settings.limits.requestBytesMax)
        serve(connection, isOverLimit: open.count >= settings.connectionsMax)
    }

    private func serve(_ connection: Connection, isOverLimit: Bool) {
        let key = ObjectIdentifier(connection)
        open[key] = connection
        connection.onClose = { [self] _, _ in open.removeValue(forKey: key) }
        connection.start(timeout: settings.connectionTimeout)
        if isOverLimit {
            rejected += 1
            connection.send(HTTPResponse.error(503, "too many control connections").serialized, thenClose: true)
            return
        }
        var isAnswered = false
        connection.onInput = { [self] connection in
            guard !isAnswered else { return }
            switch HTTPRequestParser.parse(connection.input, limits: settings.limits) {
            case .incomplete:
                if connection.isInputFinished { isAnswered = true; connection.close() }
            case .invalid(let status, let reason):
                isAnswered = true
                rejected += 1
                connection.send(HTTPResponse.error(status, reason).serialized, thenClose: true)
            case .complete(let request, _):
                isAnswered = true
                connection.send(respond(to: request).serialized, thenClose: true)
            }
        }
    }

    private func respond(to request: HTTPRequest) -> HTTPResponse {
        if let token {
            let expected = Array(("Bearer " + token).utf8)
            let given = Array((request.headers["authorization"] ?? "").utf8)
            guard HMACSHA256.constantTimeEquals(expected, given) else {
                rejected += 1
                var response = HTTPResponse.error(401, "missing or wrong token (send Authorization: Bearer TOKEN)")
                response.headers.append(("WWW-Authenticate", "Bearer"))
                return response
            }
        }
        return handler(request)
    }
}

/// Lets the listener's closure, made in `init`, reach the server once it exists.
private final class ControlAcceptBox: @unchecked Sendable {
    weak var server: ControlServer?
}
