@_spi(Simulation) import MeshCore

/// One deterministic run of a scenario: N `NodeInstance`s (the code that ships) wired through a
/// simulated network on a virtual clock, with faults from the scenario's timeline.
///
/// Single-threaded; one seeded generator decides every delay, loss and random choice of the world,
/// and each node's own generator is seeded from it. Same seed and code, same trace hash.
///
/// The work is split by job, one file each: running (the event loop), network (links, delay, loss,
/// partitions), faults (crash, pause, starvation, restart), timeline (the scenario's actions),
/// directives (what nodes ask for), streams, disk, checks and measurements.
public final class Simulation {
    /// One simulated machine: the running instance (nil while crashed) and the world's state about it.
    struct SimNode {
        var name: String
        var address: Address
        var instance: NodeInstance?
        /// Counts lives: a timer or stream answer for an earlier life is ignored.
        var life = 0
        /// The incarnation this life started at: an accusation below it is about an earlier life.
        var lifeStartIncarnation: UInt64 = 0
        var hasLeft = false
        var pausedUntil: Int64 = 0
        var pauseGeneration = 0
        /// Events that reached the node while it was paused, delivered when it resumes.
        var deferred: [EventKind] = []
        var starvedUntil: Int64 = 0
        var lagMin: Int64 = 0
        var lagMax: Int64 = 0
        var lagFreeAt: Int64 = 0
        var metaVersion: UInt32 = 0
        /// The id of the last inbound stream this node accepted.
        var nextInbound: UInt64 = 0
    }

    /// The scenario being run.
    public let scenario: Scenario
    var queue = EventQueue()
    var random: SeededGenerator
    var now: Int64 = 0
    var nodes: [SimNode] = []
    var indexByAddress: [Address: Int] = [:]
    var indexByName: [String: Int] = [:]
    /// Partition group of each node (0: not in any group).
    var group: [Int]
    /// (from group << 32 | to group) pairs that cannot reach each other.
    var blockedGroups: Set<UInt64> = []
    var loss: Double
    /// A `loss` event happened: its rate now applies to every link, sites included.
    var isLossOverridden = false
    /// Checkers and measurements, in the order registered: each sees every hook.
    var observers: [WorldObserver] = []
    var livenessCheckers: [LivenessChecker] = []
    var measurementList: [Measurement] = []
    var violations = ViolationLog()
    /// Timeline actions performed, by kind ("crash", "partition", …).
    var faultsInjected: [String: Int] = [:]
    /// What each node has made durable: the last incarnation it persisted (its own small file)…
    var persistedIncarnation: [UInt64]
    /// …and its write-ahead log, one disk per node.
    var disks: [SimDisk]
    /// Per node, the syncs its core asked for (by the disk's sync number): their outcome goes back
    /// to the core as `logSynced` or `diskFailed`.
    var coreSyncs: [Set<Int>] = []
    /// Per node, what its last recovery read back, handed to its next life's core.
    var lastRecovery: [RecoveredLog]
    /// The tasks layer's driver, when the scenario runs that layer.
    var taskWorkload: TaskWorkload?
    /// The tasks layer's measurement (it keeps the counters of crashed lives).
    var taskOutcomes: TaskOutcomes?
    /// The disk workload layer's driver, when the scenario runs that layer.
    var diskWorkload: DiskWorkload?
    var trace = TraceHash()
    var convergedAt: Int64?
    var convergenceFailed = false
    var eventsProcessed = 0
    /// Open simulated connections by id, and by (node, stream) end (see Simulation+Streams.swift).
    var connections: [Int: SimConnection] = [:]
    var connectionByEnd: [UInt64: Int] = [:]
    var nextConnection = 0
    let keyring: Keyring?
    /// The rewrite of next-version nodes' datagrams, when the scenario has any (NextVersion.swift).
    var nextVersion: NextVersionEncoder?
    var runsNextVersion: [Bool]
    var nextVersionDatagrams = 0
    /// The cluster label every simulated node uses.
    static let label = "sim"
    static let wallClockOrigin: Int64 = 1_767_225_600_000   // 2026-01-01, for wall-clock fields only

    /// A simulation of `scenario`, not yet run.
    public init(scenario: Scenario) {
        self.scenario = scenario
        random = SeededGenerator(seed: scenario.seed)
        loss = scenario.link.loss
        group = Array(repeating: 0, count: scenario.nodes)
        persistedIncarnation = Array(repeating: 0, count: scenario.nodes)
        disks = Array(repeating: SimDisk(model: scenario.disk), count: scenario.nodes)
        coreSyncs = Array(repeating: [], count: scenario.nodes)
        lastRecovery = Array(repeating: RecoveredLog(), count: scenario.nodes)
        runsNextVersion = Array(repeating: false, count: scenario.nodes)
        if scenario.authenticated {
            var keyGenerator = SeededGenerator(seed: scenario.seed ^ 0xC0FF_EE00)
            keyring = Keyring(keys: [MeshKey.make(from: &keyGenerator)])
        } else {
            keyring = nil
        }
        for i in 0..<scenario.nodes {
            let address = Address(10, UInt8(i / 62_500 % 256), UInt8(i / 250 % 250), UInt8(i % 250 + 1), port: 7946)
            let name = "n\(i)"
            nodes.append(SimNode(name: name, address: address))
            indexByAddress[address] = i
            indexByName[name] = i
        }
        if !scenario.nextVersion.nodes.isEmpty {
            nextVersion = NextVersionEncoder(settings: scenario.nextVersion, keyring: keyring, label: Simulation.label)
            for node in scenario.nextVersion.nodes { runsNextVersion[node] = true }
        }
        Layer.installWorld(in: self)
        for layer in scenario.layers { layer.install(in: self) }
    }

    /// The virtual clock as the core sees it.
    var moment: Moment { Moment(now: Instant(nanoseconds: now), wallMilliseconds: Simulation.wallClockOrigin + now / 1_000_000) }

    /// Bytes in front of the first message of a datagram: the packet header and, with keys, the tag.
    var datagramOverheadBytes: Int { PacketCodec.headerBytes + (keyring == nil ? 0 : Keyring.tagBytes) }

    /// True when node `i` runs and has not left: it observes the others and they must see it.
    func isRunning(_ i: Int) -> Bool { nodes[i].instance != nil && !nodes[i].hasLeft }

    /// One key for an ordered pair of small numbers (observer and member, member and incarnation).
    static func pairKey(_ a: Int, _ b: Int) -> UInt64 { UInt64(a) << 32 | UInt64(UInt32(truncatingIfNeeded: b)) }

    /// `ns` as seconds with three decimals, for messages.
    func seconds(_ ns: Int64) -> String {
        let s = Double(ns) / 1e9
        return String(Double(Int((s * 1000).rounded())) / 1000)
    }
}
