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
    /// The key file the keyring came from; `mesh keys install/use/remove` rewrite it.
    public var keyFile: String?
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
    /// Stream connections open at once, inbound and outbound. Before a frame's header tag checks
    /// out, the core holds at most a hello and one frame header per connection.
    public var streamConnectionsMax: Int
    /// Stream connections open at once from one IP address, so one host cannot hold every slot
    /// and keep legitimate members from joining or healing a partition.
    public var streamConnectionsPerSourceMax: Int
    /// Agent profiles this node runs (commands stay local) and its node-level tags.
    public var profiles: [AgentProfile]
    public var tags: [String]
    /// The largest attachment this node takes (upload or fetch), and the most one task's
    /// attachments may take together (issue 10 §2; settable in the config file).
    public var attachmentBytesMax: UInt64 = TaskLimits.attachmentBytesDefault
    public var attachmentsTotalBytesMax: UInt64 = TaskLimits.attachmentsTotalBytesDefault
    /// Task workspaces: log cap, retention, cgroups (config key `"workspaces"`).
    public var workspaces = WorkspaceSettings()
    /// How long a finished task is kept after its last event, and the records appended before the
    /// task log may be snapshotted (config key `"tasks"`; `TaskSettings` has the defaults and why).
    public var finishedRetention = TaskSettings().finishedRetention
    public var logCompactionFloor = TaskSettings().logCompactionFloor
    /// Agent profiles this node runs as the agent runner wants them: profile name → argv, from
    /// local config only (the wire never carries a command). Empty: every `startAgent` is refused.
    public var agentProfiles: [String: [String]] {
        var commands: [String: [String]] = [:]
        for profile in profiles { commands[profile.name] = profile.command }
        return commands
    }

    public init(name: String, bind: Address, advertise: Address? = nil, seeds: [Address] = [], keyring: Keyring? = nil,
                cluster: String = "", settings: MembershipSettings = .adaptive, presetName: String = "adaptive",
                http: SocketEndpoint? = nil, httpToken: String? = nil, dataDirectory: DataDirectory? = nil,
                logger: Logger = Logger(), exitsWithParent: Bool = false, streamConnectionsMax: Int = 64,
                streamConnectionsPerSourceMax: Int = 4, profiles: [AgentProfile] = [], tags: [String] = [],
                keyFile: String? = nil) {
        self.profiles = profiles; self.tags = tags
        self.name = name; self.bind = bind; self.advertise = advertise ?? bind; self.seeds = seeds
        self.keyring = keyring; self.cluster = cluster; self.settings = settings; self.presetName = presetName
        self.http = http; self.httpToken = httpToken; self.dataDirectory = dataDirectory; self.logger = logger
        self.exitsWithParent = exitsWithParent; self.streamConnectionsMax = streamConnectionsMax
        self.streamConnectionsPerSourceMax = streamConnectionsPerSourceMax
        self.keyFile = keyFile
    }

    /// How long a leaving node keeps running so its `left` gets out: about three gossip periods,
    /// at least half a second, at most three seconds.
    public var leaveGracePeriod: Nanoseconds {
        min(.seconds(3), max(.milliseconds(500), 3 * settings.gossipInterval))
    }
}
