import Dispatch
import Glibc
import MeshCore

/// Moves stream bytes between TCP connections and the core, which frames and authenticates them
/// (ARCHITECTURE §2: the shell only moves bytes). Listens on the node's bind address, numbers
/// accepted connections as inbound streams, connects outbound streams from the bind address, and
/// reports what happens to each as core `Input`s — always asynchronously on `queue`, never from
/// inside a directive it is carrying out.
///
/// Limits before any byte is read: at most `perSourceMax` open connections from one IP address
/// (so one host cannot hold every slot and block joins and partition healing) and `connectionsMax`
/// in all. Deadlines and pre-authentication buffering are the core's (it closes a stream whose
/// exchange is not done in time, and reads at most one frame header before authenticating it).
/// Confined to `queue`.
final class StreamTransport: @unchecked Sendable {
    /// What the transport did, for `/v1/health`.
    struct Counters {
        var accepted: UInt64 = 0
        /// Connections closed at accept: too many from one address, or in all.
        var refusedPerSource: UInt64 = 0
        var refusedTotal: UInt64 = 0
        var opened: UInt64 = 0
        /// Outbound connections that failed (refused, unreachable, reset).
        var failed: UInt64 = 0
        /// Stream bytes handed to the kernel to send, and read from it (TCP payload only).
        var bytesSent: UInt64 = 0
        var bytesReceived: UInt64 = 0
    }

    private struct Open {
        var connection: Connection
        var source: UInt32?
        /// False while an outbound connect is under way.
        var isConnected: Bool
    }

    private let listener: Listener
    let queue: DispatchQueue
    /// Takes data streams (first byte `DataStream.marker`); nil: every connection is the core's.
    var dataHandoff: ((Int32, String) -> Void)?
    /// Accepted connections waiting for their first byte (see `sort`).
    var sorting = 0
    private let bind: Address
    private let perSourceMax: Int
    private let connectionsMax: Int
    private let deliver: (Input) -> Void
    private var open: [StreamID: Open] = [:]
    private var perSource: [UInt32: Int] = [:]
    private var nextInbound: UInt64 = 0
    private(set) var counters = Counters()
    /// Why the last outbound connection to each address failed, in the system's words (for the
    /// join log: the core knows only that there was no connection).
    private var connectFailures: [Address: String] = [:]
    /// Addresses `connectFailures` remembers at most; past it, it starts again empty.
    static let connectFailuresMax = 64
    /// Bytes one read event may hand to the core before it yields (the core frames and limits them).
    private static let inputBytesPerEventMax = 1 << 20

    init(bind: Address, perSourceMax: Int, connectionsMax: Int, queue: DispatchQueue,
         deliver: @escaping (Input) -> Void) throws(SystemError) {
        let fd = try Sockets.listener(boundTo: .ipv4(bind))
        let box = TransportBox()
        listener = Listener(fd: fd, queue: queue) { clientFD, peer in box.transport?.accepted(clientFD, peer: peer) }
        self.queue = queue
        self.bind = bind
        self.perSourceMax = perSourceMax
        self.connectionsMax = connectionsMax
        self.deliver = deliver
        box.transport = self
    }

    /// The listening socket (for its address).
    var fd: Int32 { listener.fd }

    func start() { listener.start() }

    /// Stops listening and closes every connection without telling the core.
    func stop() {
        listener.stop()
        let connections = open.values.map(\.connection)
        open.removeAll()
        perSource.removeAll()
        for connection in connections { connection.onClose = nil; connection.close() }
    }

    // MARK: Directives

    /// Connects an outbound stream; bytes written before it connects wait for it.
    func open(_ stream: StreamID, to destination: Address) {
        counters.opened += 1
        let source = bind.isUnspecified ? nil : bind
        do {
            let connection = try Connection.connecting(to: .ipv4(destination), from: source, queue: queue,
                                                       inputBytesMax: StreamTransport.inputBytesPerEventMax)
            watch(connection, as: stream, source: nil)
            connection.start(timeout: nil)
        } catch {
            counters.failed += 1
            noteConnectFailure(to: destination, error.reason)
            later(.streamFailed(stream))
        }
    }

    /// Why the last outbound connection to `destination` failed (`Connection refused`), if one did.
    func lastConnectFailure(to destination: Address) -> String? { connectFailures[destination] }

    private func noteConnectFailure(to destination: Address, _ reason: String) {
        if connectFailures.count >= StreamTransport.connectFailuresMax { connectFailures.removeAll() }
        connectFailures[destination] = reason
    }

    func write(_ stream: StreamID, _ bytes: Bytes) {
        guard let connection = open[stream]?.connection else { return }
        counters.bytesSent &+= UInt64(bytes.count)
        connection.send(bytes)
    }

    /// Closes once everything queued is written; the core has already forgotten the stream.
    func close(_ stream: StreamID) {
        guard let entry = forget(stream) else { return }
        entry.connection.onInput = nil
        entry.connection.onClose = nil
        entry.connection.onConnected = nil
        if entry.isConnected {
            entry.connection.send([], thenClose: true)
        } else {
            entry.connection.close()   // a connect the core gave up on holds no descriptor until the kernel's timeout
        }
    }

    // MARK: Connections

    private func accepted(_ clientFD: Int32, peer: SocketEndpoint?) {
        sort(clientFD, peer: peer) { [self] fd, peer in admit(fd, peer: peer) }
    }

    private func admit(_ clientFD: Int32, peer: SocketEndpoint?) {
        var address = Address(ipv4: 0, port: 0)
        if case .ipv4(let ipv4)? = peer { address = ipv4 }
        guard open.count < connectionsMax else {
            counters.refusedTotal += 1
            closeDescriptor(clientFD)
            return
        }
        guard perSource[address.ipv4, default: 0] < perSourceMax else {
            counters.refusedPerSource += 1
            closeDescriptor(clientFD)
            return
        }
        counters.accepted += 1
        nextInbound += 1
        let stream = StreamID.inbound(nextInbound)
        let connection = Connection.accepted(fd: clientFD, peer: peer, queue: queue,
                                             inputBytesMax: StreamTransport.inputBytesPerEventMax)
        watch(connection, as: stream, source: address.ipv4)
        later(.streamAccepted(stream, from: address))
        connection.start(timeout: nil)
    }

    private func watch(_ connection: Connection, as stream: StreamID, source: UInt32?) {
        open[stream] = Open(connection: connection, source: source, isConnected: source != nil)
        if let source { perSource[source, default: 0] += 1 }
        connection.onConnected = { [self] _ in open[stream]?.isConnected = true }
        connection.onInput = { [self] connection in
            let bytes = connection.takeInput()
            counters.bytesReceived &+= UInt64(bytes.count)
            if !bytes.isEmpty { later(.streamData(stream, bytes)) }
        }
        connection.onClose = { [self] closed, ending in
            guard forget(stream) != nil else { return }
            switch ending {
            case .peerClosed, .finished: later(.streamClosed(stream))
            case .failed(let error):
                if !stream.isInbound {
                    counters.failed += 1
                    if case .ipv4(let destination)? = closed.peer { noteConnectFailure(to: destination, error.reason) }
                }
                later(.streamFailed(stream))
            case .timedOut, .tooLarge: later(.streamFailed(stream))
            }
        }
    }

    private func forget(_ stream: StreamID) -> Open? {
        guard let entry = open.removeValue(forKey: stream) else { return nil }
        if let source = entry.source {
            let left = perSource[source, default: 1] - 1
            if left == 0 { perSource.removeValue(forKey: source) } else { perSource[source] = left }
        }
        return entry
    }

    private func later(_ input: Input) {
        queue.async { [self] in deliver(input) }
    }

    /// Connections open now.
    var openCount: Int { open.count }
}

/// Lets the listener's closure, made in `init`, reach the transport once it exists.
private final class TransportBox: @unchecked Sendable {
    weak var transport: StreamTransport?
}
