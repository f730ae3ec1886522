@testable import MeshCore

/// A few `NodeInstance`s wired together in memory for task machine tests: datagrams and streams
/// delivered after 1 ms, each node's log with syncs the test may hold back, agent runs the test
/// ends, crashes that lose unsynced records, and a virtual clock that moves only in `run`.
final class TaskCluster {
    enum Event {
        case datagram(to: Int, from: Address, Bytes)
        case input(node: Int, life: Int, Input)
        case connect(from: Int, stream: StreamID, to: Int, life: Int)
        case write(from: Int, stream: StreamID, Bytes, life: Int)
        case close(from: Int, stream: StreamID, life: Int)
    }
    /// A node's log: `records` in the file (a snapshot's first), `durable` of them synced.
    /// Positions count from `offset` (a snapshot's base minus its records: positions never go back).
    struct Disk {
        var records: [LogRecord] = []
        var durable = 0
        var offset = 0
        var position: LogPosition { LogPosition(offset + records.count) }
        /// Snapshots taken, each durable at once (as the runtime's rename).
        var compactions = 0
        /// Every record appended in every life, never compacted: the log as it would be without
        /// snapshots (unsynced records a crash lost included).
        var appendedEver: [LogRecord] = []
    }

    var nodes: [NodeInstance?]
    var lives: [Int]
    let names: [String]
    let addresses: [Address]
    var profiles: [[CapacityProfile]]
    var now: Instant = .zero
    var queue: [(at: Instant, seq: Int, event: Event)] = []
    var seq = 0
    var disks: [Disk]
    var holdSyncs: Set<Int> = []
    var heldSyncs: [Int: [LogPosition]] = [:]
    /// Nodes whose `logCompacted` waits (the snapshot itself is durable at once).
    var holdCompactions: Set<Int> = []
    var heldCompactions: [Int: [LogPosition]] = [:]
    /// Blocked (from, to) node pairs: streams between them fail, datagrams vanish.
    var blocked: Set<[Int]> = []
    /// Cut (from, to) node pairs: bytes written on a stream already open from `from` to `to`
    /// vanish and the stream fails at `to` (a reply lost after its request arrived).
    var cut: Set<[Int]> = []
    /// Stream ends: (node, stream) → (peer node, peer stream).
    var ends: [String: (Int, StreamID)] = [:]
    var nextInbound: UInt64 = 0
    var replies: [UInt64: ControlReply] = [:]
    var replyOrder: [(request: UInt64, afterSyncs: Int)] = []
    var nextRequest: UInt64 = 0
    /// Agent runs started and not ended, per node; and every start ever, in order.
    var running: [Int: [AgentRun]] = [:]
    var started: [(node: Int, run: AgentRun)] = []
    var stopped: [(node: Int, run: RunID)] = []
    var syncsCompleted: [Int] = []
    /// Blob fetches asked for, in order; nodes in `failingFetches` answer theirs with a failure.
    var fetches: [(node: Int, fetch: FileFetch)] = []
    var failingFetches: Set<Int> = []

    init(size: Int, profiles: [String: Int] = ["shell": 2], taskSettings: TaskSettings = TaskSettings()) {
        names = (0..<size).map { "n\($0)" }
        addresses = (0..<size).map { Address(10, 0, 0, UInt8($0 + 1), port: 7946) }
        self.profiles = Array(repeating: profiles.keys.sorted().map { CapacityProfile(name: $0, slots: profiles[$0]!) }, count: size)
        nodes = Array(repeating: nil, count: size)
        lives = Array(repeating: 0, count: size)
        disks = Array(repeating: Disk(), count: size)
        syncsCompleted = Array(repeating: 0, count: size)
        self.taskSettings = taskSettings
        for i in 0..<size { boot(i) }
        run(for: .seconds(4))
    }
    let taskSettings: TaskSettings

    func config(_ i: Int) -> NodeConfig {
        var config = NodeConfig(name: names[i], address: addresses[i], seeds: i == 0 ? [] : [addresses[0]],
                                settings: .lan, randomSeed: UInt64(i + 1) * 7919, lastIncarnation: UInt64(lives[i] * 10),
                                recoveredLog: RecoveredLog(records: Array(disks[i].records.prefix(disks[i].durable)),
                                                           position: LogPosition(disks[i].offset + disks[i].durable)))
        config.capacity = LocalCapacity(profiles: profiles[i])
        config.taskSettings = taskSettings
        return config
    }

    func boot(_ i: Int) {
        disks[i].records = Array(disks[i].records.prefix(disks[i].durable))
        nodes[i] = NodeInstance(config: config(i))
        apply(i, nodes[i]!.handle(.start, at: moment))
    }

    var moment: Moment { Moment(now: now, wallMilliseconds: 1_767_225_600_000 + now.nanoseconds / 1_000_000) }

    func push(_ delay: Nanoseconds, _ event: Event) {
        seq += 1
        queue.append((now + delay, seq, event))
    }

    func index(of address: Address) -> Int? { addresses.firstIndex(of: address) }

    /// Delivers every event due until `now + duration`, in time order.
    func run(for duration: Nanoseconds) {
        let deadline = now + duration
        while let next = queue.indices.min(by: { (queue[$0].at, queue[$0].seq) < (queue[$1].at, queue[$1].seq) }),
              queue[next].at <= deadline {
            let item = queue.remove(at: next)
            now = max(now, item.at)
            deliver(item.event)
        }
        now = deadline
    }

    func deliver(_ event: Event) {
        switch event {
        case .datagram(let to, let from, let bytes):
            guard nodes[to] != nil else { return }
            apply(to, nodes[to]!.handle(.datagram(bytes, from: from), at: moment))
        case .input(let node, let life, let input):
            guard nodes[node] != nil, lives[node] == life else { return }
            apply(node, nodes[node]!.handle(input, at: moment))
        case .write(let from, let stream, let bytes, let life): write(from: from, stream: stream, bytes, life: life)
        case .close(let from, let stream, let life): close(from: from, stream: stream, life: life)
        case .connect(let from, let stream, let to, let life):
            guard lives[from] == life, nodes[from] != nil else { return }
            guard nodes[to] != nil, !blocked.contains([from, to]), !blocked.contains([to, from]) else {
                return push(.milliseconds(1), .input(node: from, life: life, .streamFailed(stream)))
            }
            nextInbound += 1
            let inbound = StreamID.inbound(nextInbound)
            ends["\(from)/\(stream)"] = (to, inbound)
            ends["\(to)/\(inbound)"] = (from, stream)
            apply(to, nodes[to]!.handle(.streamAccepted(inbound, from: addresses[from]), at: moment))
        }
    }
}
