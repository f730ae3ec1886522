/// What a node needs to start: who it is, where it listens, whom to join, and how it behaves.
public struct NodeConfig: Sendable {
    /// Stable name: kept in the data directory so a restart keeps the node's identity.
    public var name: String
    /// The address other members reach this node at (UDP and TCP).
    public var address: Address
    /// Seed members to join through and to re-contact while partitioned.
    public var seeds: [Address]
    public var settings: MembershipSettings
    /// Keys for datagram authentication; nil runs unauthenticated (loopback use only).
    public var keyring: Keyring?
    /// Cluster label: two meshes with different labels never merge.
    public var label: String
    /// Seed of this node's random generator (probe order, gossip targets, jitter).
    public var randomSeed: UInt64
    /// The last incarnation a previous life of this node persisted; 0 for a new node.
    public var lastIncarnation: UInt64
    /// Metadata advertised with this node's alive messages, ≤ `metaBytesMax`.
    public var meta: Bytes
    /// The profiles (names, slots, tags: never commands) and node tags this node advertises.
    public var capacity = LocalCapacity()
    /// Timings of capacity gossip.
    public var capacitySettings = CapacitySettings()
    /// The protocol range this node speaks: this build's, except where a simulation plays an older
    /// build (a range ending before `MeshVersion.capacityProtocol` neither makes nor reads capacity records).
    public var versions = MeshVersion.protocolRange
    /// Timings and limits of the task protocol.
    public var taskSettings = TaskSettings()
    /// Salt of this node's task ids: random per data directory, chosen by the shell at the
    /// directory's first start and kept there (the simulator derives it from the seed), so ids never
    /// repeat across fresh directories. At most `TaskIDGenerator.saltBytesMax` bytes; empty: none.
    public var taskIDSalt: Bytes = []
    /// What the shell recovered from the write-ahead log before starting (empty for a new node):
    /// the core rebuilds its tasks from these records; its next append lands at `position`.
    public var recoveredLog: RecoveredLog

    public init(name: String, address: Address, seeds: [Address] = [], settings: MembershipSettings = .lan,
                keyring: Keyring? = nil, label: String = "", randomSeed: UInt64, lastIncarnation: UInt64 = 0,
                meta: Bytes = [], recoveredLog: RecoveredLog = RecoveredLog()) {
        self.name = name; self.address = address; self.seeds = seeds; self.settings = settings
        self.keyring = keyring; self.label = label; self.randomSeed = randomSeed
        self.lastIncarnation = lastIncarnation; self.meta = meta; self.recoveredLog = recoveredLog
    }

    /// Why a configuration cannot run; the shell prints it as one line.
    public func validationError() -> String? {
        if let problem = MemberName.validationError(name) { return problem }
        if label.utf8.count > WireLimits.labelBytesMax {
            return "cluster label must be at most \(WireLimits.labelBytesMax) bytes"
        }
        if meta.count > WireLimits.metaBytesMax {
            return "node metadata must be at most \(WireLimits.metaBytesMax) bytes"
        }
        return capacity.validationError(name: name)
    }
}
