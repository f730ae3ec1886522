import Dispatch
import Glibc
import MeshCore

/// The streams the core marks `isShared` (task traffic), carried on kept-open links (`LinkFrame`)
/// instead of a connection each: a small pool of client links per peer, and the server links
/// peers opened to this node. To the core nothing changes: each stream still has its own hello,
/// tagged frames and deadline, and ends as `streamClosed` or `streamFailed`. A link that breaks
/// fails every stream on it (the core sees a stream failure, as it would for a reset connection);
/// a link that sends what cannot be a link is closed and counted by reason. Confined to `queue`.
final class StreamLinks: @unchecked Sendable {
    /// What links did, for `/v1/health`.
    struct Counters {
        var opened: UInt64 = 0
        var accepted: UInt64 = 0
        var streamsCarried: UInt64 = 0
        /// `open`s refused: the server link already carried `streamsPerLinkMax` streams.
        var streamsRefused: UInt64 = 0
        var drops: [LinkDrop: UInt64] = [:]
        /// Outbound streams on links, from `open` until either side closed them.
        var exchanges = Timing()
    }

    private struct Carried {
        var link: Link
        var id: UInt32
        /// When an outbound stream was opened (monotonic nanoseconds); nil for inbound ones.
        var openedAt: Int64? = nil
    }

    private let queue: DispatchQueue
    private let bind: Address
    private let inputBytesMax: Int
    /// Hands an input to the core later (never from inside a directive).
    private let later: (Input) -> Void
    /// Numbers a new inbound stream (shared with the transport's own connections).
    private let nextInbound: () -> StreamID
    /// Called when a client link's connect fails, and when a server link closes (per-source count).
    var onConnectFailure: ((Address, String) -> Void)?
    var onServerLinkClosed: ((Link) -> Void)?
    private var pool: [Address: [Link]] = [:]
    private var servers: [ObjectIdentifier: Link] = [:]
    private var carried: [StreamID: Carried] = [:]
    /// Links with frames queued since the last `flush()`.
    private var unflushed: [Link] = []
    private(set) var counters = Counters()

    init(queue: DispatchQueue, bind: Address, inputBytesMax: Int, later: @escaping (Input) -> Void,
         nextInbound: @escaping () -> StreamID) {
        self.queue = queue
        self.bind = bind
        self.inputBytesMax = inputBytesMax
        self.later = later
        self.nextInbound = nextInbound
    }

    /// Links open now, both kinds (each holds one connection).
    var linkCount: Int { pool.values.reduce(0) { $0 + $1.count } + servers.count }

    /// Carries `stream` on a link to `destination`, connecting one if needed.
    func open(_ stream: StreamID, to destination: Address) {
        guard let link = clientLink(to: destination) else { return later(.streamNotConnected(stream)) }
        guard let id = link.nextID() else { return later(.streamFailed(stream)) }
        if link.lastID == UInt32.max { link.isRetired = true }
        link.streams[id] = stream
        carried[stream] = Carried(link: link, id: id, openedAt: SystemClock.monotonicNanoseconds())
        counters.streamsCarried &+= 1
        link.connection.clearDeadline()
        enqueue(LinkFrame.control(.open, id), on: link)
    }

    /// True when `stream` is carried by a link (the transport then leaves it alone).
    func carries(_ stream: StreamID) -> Bool { carried[stream] != nil }

    func write(_ stream: StreamID, _ bytes: Bytes) {
        guard let entry = carried[stream] else { return }
        enqueue(LinkFrame.data(entry.id, bytes), on: entry.link)
    }

    /// The core closed `stream`: tell the peer, and let the link idle out if it carries no more.
    func close(_ stream: StreamID) {
        guard let entry = carried.removeValue(forKey: stream) else { return }
        timeExchange(entry)
        entry.link.streams[entry.id] = nil
        enqueue(LinkFrame.control(.close, entry.id), on: entry.link)
        idleIfEmpty(entry.link)
    }

    /// Sends every frame queued by `open`, `write` and `close` since the last call: the shell
    /// calls it once after carrying out a batch of directives, so the frames one core step wrote
    /// to a peer leave in one system call instead of one each.
    func flush() {
        let links = unflushed
        unflushed.removeAll(keepingCapacity: true)
        for link in links {
            link.isFlushPending = false
            link.connection.flushQueued()
        }
    }

    private func enqueue(_ bytes: Bytes, on link: Link) {
        link.connection.enqueue(bytes)
        guard !link.isFlushPending else { return }
        link.isFlushPending = true
        if unflushed.isEmpty {
            // A safety net for a caller that does not flush: the frames go at the end of this turn.
            queue.async { [self] in flush() }
        }
        unflushed.append(link)
    }

    /// Takes an accepted (started) connection whose first bytes were the preamble; `rest` came after it.
    func adopt(_ connection: Connection, peer: Address, source: UInt32, rest: Bytes) {
        Sockets.setNoDelay(connection.fd)
        let link = Link(connection: connection, isClient: false, peer: peer, source: source, isConnected: true)
        servers[ObjectIdentifier(link)] = link
        counters.accepted &+= 1
        watch(link)
        idleIfEmpty(link)
        if !rest.isEmpty { received(rest, on: link) }
    }

    /// Closes every link without telling the core (the node is stopping).
    func stop() {
        let links = pool.values.flatMap { $0 } + Array(servers.values)
        pool.removeAll()
        servers.removeAll()
        carried.removeAll()
        for link in links { link.connection.onClose = nil; link.connection.close() }
    }

    // MARK: Client links

    /// The least busy usable link to `destination`, or a new one when all are busy and the pool
    /// has room (nil when connecting failed at once).
    private func clientLink(to destination: Address) -> Link? {
        let usable = (pool[destination] ?? []).filter { !$0.isRetired }
        let best = usable.min { $0.streamCount < $1.streamCount }
        if let best, best.streamCount < LinkLimits.streamsPerLinkTarget || usable.count >= LinkLimits.linksPerPeerMax {
            return best
        }
        return connect(to: destination) ?? best
    }

    private func connect(to destination: Address) -> Link? {
        let source = bind.isUnspecified ? nil : bind
        let connection: Connection
        do {
            connection = try Connection.connecting(to: .ipv4(destination), from: source, queue: queue, inputBytesMax: inputBytesMax)
        } catch {
            onConnectFailure?(destination, error.reason)
            return nil
        }
        Sockets.setNoDelay(connection.fd)
        let link = Link(connection: connection, isClient: true, peer: destination, source: nil, isConnected: false)
        pool[destination, default: []].append(link)
        counters.opened &+= 1
        watch(link)
        connection.start(timeout: nil)
        connection.send(LinkFrame.preamble)
        return link
    }

    // MARK: Events

    private func watch(_ link: Link) {
        link.connection.onConnected = { _ in link.isConnected = true }
        link.connection.onInput = { [self] connection in
            let bytes = connection.takeInput()
            if !bytes.isEmpty { received(bytes, on: link) }
        }
        link.connection.onClose = { [self] _, ending in
            if case .failed(let error) = ending, link.isClient, !link.isConnected {
                onConnectFailure?(link.peer, error.reason)
            }
            ended(link)
        }
    }

    private func received(_ bytes: Bytes, on link: Link) {
        switch link.decoder.feed(bytes) {
        case .failure(let reason): drop(link, reason)
        case .success(let frames):
            for frame in frames {
                if let reason = handle(frame, on: link) { return drop(link, reason) }
            }
        }
    }

    /// One frame; a reason when it breaks the link.
    private func handle(_ frame: LinkFrame.Frame, on link: Link) -> LinkDrop? {
        switch frame.kind {
        case .open:
            guard !link.isClient, frame.stream > link.lastID else { return .badOpen }
            link.lastID = frame.stream
            opened(frame.stream, on: link)
        case .data:
            guard let stream = link.streams[frame.stream] else {
                // Bytes for a stream this side already closed are late, not wrong.
                return frame.stream <= link.lastID ? nil : .unknownStream
            }
            if !frame.payload.isEmpty { later(.streamData(stream, frame.payload)) }
        case .close, .reset:
            guard let stream = link.streams.removeValue(forKey: frame.stream) else { return nil }
            carried.removeValue(forKey: stream).map(timeExchange)
            later(frame.kind == .close ? .streamClosed(stream) : .streamFailed(stream))
            idleIfEmpty(link)
        }
        return nil
    }

    /// A server link's `open`: a new inbound stream for the core, unless the link carries its limit.
    private func opened(_ id: UInt32, on link: Link) {
        guard link.streamCount < LinkLimits.streamsPerLinkMax else {
            counters.streamsRefused &+= 1
            link.connection.send(LinkFrame.control(.reset, id))
            return
        }
        let stream = nextInbound()
        link.streams[id] = stream
        carried[stream] = Carried(link: link, id: id)
        counters.streamsCarried &+= 1
        link.connection.clearDeadline()
        later(.streamAccepted(stream, from: link.peer))
    }

    private func drop(_ link: Link, _ reason: LinkDrop) {
        counters.drops[reason, default: 0] &+= 1
        link.connection.close(.failed(SystemError(call: "link", code: EPROTO)))
    }

    /// The link's connection closed: every stream on it failed. A client link that never connected
    /// sent nothing: its streams are `streamNotConnected` (a request on them never left).
    private func ended(_ link: Link) {
        let neverConnected = link.isClient && !link.isConnected
        link.isRetired = true
        if link.isClient {
            pool[link.peer]?.removeAll { $0 === link }
            if pool[link.peer]?.isEmpty == true { pool[link.peer] = nil }
        } else if servers.removeValue(forKey: ObjectIdentifier(link)) != nil {
            onServerLinkClosed?(link)
        }
        for (_, stream) in link.streams.sorted(by: { $0.key < $1.key }) {
            carried[stream] = nil
            later(neverConnected ? .streamNotConnected(stream) : .streamFailed(stream))
        }
        link.streams.removeAll()
    }

    private func timeExchange(_ entry: Carried) {
        guard let openedAt = entry.openedAt else { return }
        counters.exchanges.add(SystemClock.monotonicNanoseconds() - openedAt)
    }

    private func idleIfEmpty(_ link: Link) {
        guard link.streamCount == 0 else { return }
        link.connection.setDeadline(link.isClient ? LinkLimits.clientIdle : LinkLimits.serverIdle)
    }
}
