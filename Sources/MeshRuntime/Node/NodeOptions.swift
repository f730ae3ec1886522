import MeshCore

/// Everything a running node needs, resolved: the CLI turns flags, `MESH_*` variables and the config
/// file into one of these; `NodeShell` takes it as is.
public struct NodeOptions: Sendable {
    /// The node's stable name.
    public var name: String
    /// Where the gossip UDP socket and the stream listener bind.
    public var bind: Address
    /// The address other members reach this node at (the bind address unless told otherwise).
    public var advertise: Address
    /// Seeds to join through, already resolved.
    public var seeds: [Address]
    /// Cluster keys; nil runs unauthenticated.
    public var keyring: Keyring?
    /// Cluster label: meshes with different labels never merge.
    public var cluster: String
    /// Membership timing.
    public var settings: MembershipSettings
    /// The preset `settings` came from, for logs.
    public var presetName: String
    /// Where the control API listens; nil for none.
    public var http: SocketEndpoint?
    /// The bearer token the control API requires; nil for none (loopback only).
    public var httpToken: String?
    /// The data directory, already opened and locked; nil keeps nothing across restarts.
    public var dataDirectory: DataDirectory?
    public var logger: Logger
    /// Leave and exit when the parent process goes away (for `mesh demo`, `mesh bench` and tests).
    public var exitsWithParent: Bool
    /// Inbound stream connections open at once. Each may buffer up to one frame (16 MiB) before
    /// its tag can be checked, so this also bounds what unauthenticated peers can make it hold.
    public var streamConnectionsMax: Int

    public init(name: String, bind: Address, advertise: Address? = nil, seeds: [Address] = [], keyring: Keyring? = nil,
                cluster: String = "", settings: MembershipSettings = .lan, presetName: String = "lan",
                http: SocketEndpoint? = nil, httpToken: String? = nil, dataDirectory: DataDirectory? = nil,
                logger: Logger = Logger(), exitsWithParent: Bool = false, streamConnectionsMax: Int = 16) {
        self.name = name; self.bind = bind; self.advertise = advertise ?? bind; self.seeds = seeds
        self.keyring = keyring; self.cluster = cluster; self.settings = settings; self.presetName = presetName
        self.http = http; self.httpToken = httpToken; self.dataDirectory = dataDirectory; self.logger = logger
        self.exitsWithParent = exitsWithParent; self.streamConnectionsMax = streamConnectionsMax
    }

    /// How long a leaving node keeps running so its `left` gets out: about three gossip periods,
    /// at least half a second, at most three seconds.
    public var leaveGracePeriod: Nanoseconds {
        min(.seconds(3), max(.milliseconds(500), 3 * settings.gossipInterval))
    }
}
