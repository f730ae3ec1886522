import Dispatch
import Glibc
import MeshCore

/// Moves stream bytes between TCP connections and the core, which frames and authenticates them
/// (ARCHITECTURE §2: the shell only moves bytes). Listens on the node's bind address, numbers
/// accepted connections as inbound streams, connects outbound streams from the bind address, and
/// reports what happens to each as core `Input`s — always asynchronously on `queue`, never from
/// inside a directive it is carrying out. Streams the core marks `isShared` (task traffic) ride
/// on kept-open links instead (`StreamLinks`); an accepted connection is told apart by its first
/// bytes (a link's preamble or a stream's hello).
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
    /// Takes the inputs of one Dispatch turn together, in order (the node sends what they make
    /// in one go); nil: each goes to `deliver`.
    var deliverBatch: (([Input]) -> Void)?
    /// Inputs waiting for the next turn of `queue`, oldest first.
    private var pendingInputs: [Input] = []
    private var open: [StreamID: Open] = [:]
    private var perSource: [UInt32: Int] = [:]
    /// Accepted connections whose first bytes have not told yet whether they are a link.
    private var undecided: [ObjectIdentifier: Connection] = [:]
    /// Kept-open links and the streams they carry.
    private var links: StreamLinks!
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
        links = StreamLinks(queue: queue, bind: bind, inputBytesMax: StreamTransport.inputBytesPerEventMax,
                            later: { input in box.transport?.later(input) },
                            nextInbound: { box.transport?.numberInbound() ?? .inbound(0) })
        links.onConnectFailure = { destination, reason in
            box.transport?.counters.failed += 1
            box.transport?.noteConnectFailure(to: destination, reason)
        }
        links.onServerLinkClosed = { link in if let source = link.source { box.transport?.uncount(source) } }
    }

    /// What the links did, for `/v1/health`.
    var linkCounters: StreamLinks.Counters { links.counters }

    /// The listening socket (for its address).
    var fd: Int32 { listener.fd }

    func start() { listener.start() }

    /// Stops listening and closes every connection without telling the core.
    func stop() {
        listener.stop()
        links.stop()
        let connections = open.values.map(\.connection) + Array(undecided.values)
        open.removeAll()
        undecided.removeAll()
        perSource.removeAll()
        for connection in connections { connection.onClose = nil; connection.close() }
    }

    // MARK: Directives

    /// Connects an outbound stream; bytes written before it connects wait for it.
    func open(_ stream: StreamID, to destination: Address) {
        counters.opened += 1
        if stream.isShared { return links.open(stream, to: destination) }
        let source = bind.isUnspecified ? nil : bind
        do {
            let connection = try Connection.connecting(to: .ipv4(destination), from: source, queue: queue,
                                                       inputBytesMax: StreamTransport.inputBytesPerEventMax)
            watch(connection, as: stream, source: nil)
            connection.start(timeout: nil)
        } catch {
            counters.failed += 1
            noteConnectFailure(to: destination, error.reason)
            later(.streamNotConnected(stream))
        }
    }

    /// Why the last outbound connection to `destination` failed (`Connection refused`), if one did.
    func lastConnectFailure(to destination: Address) -> String? { connectFailures[destination] }

    fileprivate func noteConnectFailure(to destination: Address, _ reason: String) {
        if connectFailures.count >= StreamTransport.connectFailuresMax { connectFailures.removeAll() }
        connectFailures[destination] = reason
    }

    func write(_ stream: StreamID, _ bytes: Bytes) {
        if links.carries(stream) {
            counters.bytesSent &+= UInt64(bytes.count)
            return links.write(stream, bytes)
        }
        guard let connection = open[stream]?.connection else { return }
        counters.bytesSent &+= UInt64(bytes.count)
        connection.send(bytes)
    }

    /// Sends the link frames the directives carried out since the last call queued (call it after
    /// each batch of directives: until then they wait).
    func flush() { links.flush() }

    /// Closes once everything queued is written; the core has already forgotten the stream.
    func close(_ stream: StreamID) {
        if links.carries(stream) { return links.close(stream) }
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
        guard openCount < connectionsMax else {
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
        let connection = Connection.accepted(fd: clientFD, peer: peer, queue: queue,
                                             inputBytesMax: StreamTransport.inputBytesPerEventMax)
        perSource[address.ipv4, default: 0] += 1
        undecided[ObjectIdentifier(connection)] = connection
        connection.onInput = { [self] connection in firstBytes(connection, from: address) }
        connection.onClose = { [self] connection, _ in
            if undecided.removeValue(forKey: ObjectIdentifier(connection)) != nil { uncount(address.ipv4) }
        }
        connection.start(timeout: LinkLimits.firstBytesTimeout)
    }

    /// An accepted connection's first bytes: a link's preamble makes it a link; anything else is a
    /// stream of its own (a hello), handed to the core with those bytes.
    private func firstBytes(_ connection: Connection, from address: Address) {
        let preamble = LinkFrame.preamble
        let head = Array(connection.input.prefix(preamble.count))
        let isLink = head == preamble
        guard isLink || head != Array(preamble.prefix(head.count)) || connection.isInputFinished else { return }
        undecided[ObjectIdentifier(connection)] = nil
        uncount(address.ipv4)
        let bytes = connection.takeInput()
        connection.clearDeadline()
        if isLink {
            perSource[address.ipv4, default: 0] += 1
            return links.adopt(connection, peer: address, source: address.ipv4, rest: Array(bytes.dropFirst(preamble.count)))
        }
        let stream = numberInbound()
        watch(connection, as: stream, source: address.ipv4)
        later(.streamAccepted(stream, from: address))
        counters.bytesReceived &+= UInt64(bytes.count)
        if !bytes.isEmpty { later(.streamData(stream, bytes)) }
        if connection.isInputFinished { connection.close(.peerClosed) }
    }

    /// The next inbound stream's id.
    fileprivate func numberInbound() -> StreamID {
        nextInbound += 1
        return .inbound(nextInbound)
    }

    /// One connection from `source` fewer.
    fileprivate func uncount(_ source: UInt32) {
        let left = perSource[source, default: 1] - 1
        if left <= 0 { perSource.removeValue(forKey: source) } else { perSource[source] = left }
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
        if let source = entry.source { uncount(source) }
        return entry
    }

    /// Hands `input` to the core on a later turn of `queue` (never from inside a directive); the
    /// inputs of one turn go together, in order.
    fileprivate func later(_ input: Input) {
        pendingInputs.append(input)
        guard pendingInputs.count == 1 else { return }
        queue.async { [self] in
            var batch: [Input] = []
            swap(&batch, &pendingInputs)
            if let deliverBatch { return deliverBatch(batch) }
            for input in batch { deliver(input) }
        }
    }

    /// Connections open now.
    var openCount: Int { open.count + undecided.count + links.linkCount }
}

/// Lets the listener's closure, made in `init`, reach the transport once it exists.
private final class TransportBox: @unchecked Sendable {
    weak var transport: StreamTransport?
}
