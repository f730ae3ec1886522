import MeshCore

/// One kept-open connection carrying streams (`LinkFrame`): which core stream each link id stands
/// for, and the ids used so far. A client link (this node connected) opens streams; a server link
/// (accepted) takes them. Confined to the transport's queue.
final class Link: @unchecked Sendable {
    let connection: Connection
    let isClient: Bool
    /// Client: the destination. Server: the peer's address as accepted.
    let peer: Address
    /// Server: the peer's IP, for the per-source count.
    let source: UInt32?
    var decoder = LinkDecoder()
    /// The core's stream for each open link id.
    var streams: [UInt32: StreamID] = [:]
    /// The highest id opened on the link (ids only grow).
    var lastID: UInt32 = 0
    /// False while a client link's connect is under way.
    var isConnected: Bool
    /// True once no new stream may start on it (its ids are used up, or it is closing).
    var isRetired = false
    /// True while frames wait in its connection for `StreamLinks.flush()`.
    var isFlushPending = false

    init(connection: Connection, isClient: Bool, peer: Address, source: UInt32?, isConnected: Bool) {
        self.connection = connection
        self.isClient = isClient
        self.peer = peer
        self.source = source
        self.isConnected = isConnected
    }

    /// Streams open on the link now.
    var streamCount: Int { streams.count }

    /// A client link's next id, or nil when they are used up.
    func nextID() -> UInt32? {
        guard lastID < UInt32.max else { return nil }
        lastID += 1
        return lastID
    }
}

/// Limits and timings of links, named once.
enum LinkLimits {
    /// Links one node keeps to one peer. Below the peers' `streamConnectionsPerSourceMax` (4 by
    /// default), so a node's own links never crowd out its membership streams to the same peer.
    static let linksPerPeerMax = 2
    /// Streams on a link past which a second link to the same peer is opened (when allowed).
    static let streamsPerLinkTarget = 32
    /// Streams a server link carries at once; an `open` past it is answered `reset` and counted.
    static let streamsPerLinkMax = 64
    /// A client link with no stream is closed after this long (before the server's idle limit,
    /// so the side that opens streams is the one that decides when a link goes away).
    static let clientIdle: Nanoseconds = .seconds(15)
    /// A server link with no stream is closed after this long: an idle peer holds no slot forever.
    static let serverIdle: Nanoseconds = .seconds(60)
    /// An accepted connection must send its first bytes (a link's preamble or a stream's hello)
    /// within this time, or it is closed.
    static let firstBytesTimeout: Nanoseconds = .seconds(5)
}
