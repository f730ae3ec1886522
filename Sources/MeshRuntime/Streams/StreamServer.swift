import Dispatch
import Glibc
import MeshCore

/// The accepting side of stream exchanges: a TCP listener on the node's bind address. For each
/// connection it sends a hello with a fresh nonce, reads and verifies one request, asks `handler`
/// for the reply and sends it. Confined to `queue`.
final class StreamServer: @unchecked Sendable {
    /// Counts of what the listener did, for `/v1/health`.
    struct Counters {
        var accepted: UInt64 = 0
        /// Connections refused because `connectionsMax` were already open.
        var refused: UInt64 = 0
        /// Requests that failed framing or authentication, by reason.
        var drops = DropCounters()
        /// Connections that ended without a complete request (timeout, early close).
        var incomplete: UInt64 = 0
    }

    private let listener: Listener
    private let queue: DispatchQueue
    private let framing: StreamFraming
    private let timeout: Nanoseconds
    private let connectionsMax: Int
    /// Turns a verified request payload into the reply payload (nil: no reply, close).
    private let handler: (Bytes, Address) -> Bytes?
    private var open: [ObjectIdentifier: Connection] = [:]
    private(set) var counters = Counters()

    /// Binds and listens; nothing is accepted until `start()`.
    init(bind: Address, framing: StreamFraming, timeout: Nanoseconds, connectionsMax: Int, queue: DispatchQueue,
         handler: @escaping (Bytes, Address) -> Bytes?) throws(SystemError) {
        let fd = try Sockets.listener(boundTo: .ipv4(bind))
        let box = AcceptBox()
        listener = Listener(fd: fd, queue: queue) { clientFD, peer in box.server?.accepted(clientFD, peer: peer) }
        self.queue = queue
        self.framing = framing
        self.timeout = timeout
        self.connectionsMax = connectionsMax
        self.handler = handler
        box.server = self
    }

    /// The listening socket (for its address).
    var fd: Int32 { listener.fd }

    func start() { listener.start() }

    /// Stops listening and closes every open connection.
    func stop() {
        listener.stop()
        for connection in open.values { connection.close() }
        open.removeAll()
    }

    private func accepted(_ clientFD: Int32, peer: SocketEndpoint?) {
        guard open.count < connectionsMax else {
            counters.refused += 1
            closeDescriptor(clientFD)
            return
        }
        counters.accepted += 1
        serve(Connection.accepted(fd: clientFD, peer: peer, queue: queue, inputBytesMax: framing.frameBytesMax + 64))
    }

    private func serve(_ connection: Connection) {
        let key = ObjectIdentifier(connection)
        open[key] = connection
        let serverNonce = SecureRandom.bytes(StreamFraming.nonceBytes)
        var isAnswered = false
        connection.onInput = { [self] connection in
            guard !isAnswered else { return }
            switch framing.parseRequest(connection.input, serverNonce: serverNonce) {
            case .needMore:
                return
            case .dropped(let reason):
                isAnswered = true
                counters.drops.count(reason)
                connection.close()
            case .complete(let request, _):
                isAnswered = true
                let sender: Address
                if case .ipv4(let address)? = connection.peer { sender = address } else { sender = Address(ipv4: 0, port: 0) }
                guard let reply = handler(request.payload, sender) else {
                    counters.drops.count(.malformed)
                    connection.close()
                    return
                }
                connection.send(framing.reply(reply, serverNonce: serverNonce, clientNonce: request.clientNonce), thenClose: true)
            }
        }
        connection.onClose = { [self] _, ending in
            open.removeValue(forKey: key)
            if !isAnswered { counters.incomplete += 1 }
            _ = ending
        }
        connection.start(timeout: timeout)
        connection.send(framing.hello(serverNonce: serverNonce))
    }
}

/// Lets the listener's closure, made in `init`, reach the server once it exists.
private final class AcceptBox: @unchecked Sendable {
    weak var server: StreamServer?
}
