import MeshCore

/// Something that happens in the simulated world at one instant.
enum EventKind {
    /// A datagram reaches `to`. `lagged` marks one that a starved node has already held back.
    case datagram(to: Int, from: Address, bytes: Bytes, lagged: Bool)
    case timer(node: Int, life: Int, TimerID)
    /// A connection attempt reaches `server`.
    case streamConnect(connection: Int, server: Int)
    /// Bytes on a connection reach one end.
    case streamBytes(connection: Int, toServer: Bool, bytes: Bytes)
    /// The other end closed (`failed`: reset) — after the bytes it sent before.
    case streamEnd(connection: Int, toServer: Bool, failed: Bool)
    /// The disk workload of `node` appends its next record (in its life `life`).
    case diskAppend(node: Int, life: Int)
    /// Sync number `sync` of `node`'s disk completes (in its life `life`).
    case diskSyncDone(node: Int, life: Int, sync: Int)
    /// An input for a node's core that the world produced while carrying out its directives
    /// (delivered as an event of its own, never inside another input).
    case coreInput(node: Int, life: Int, Input)
    /// The load of `node` changes (capacity layer's `"loadChanges"`), in its life `life`.
    case loadChange(node: Int, life: Int)
    /// The scenario's timeline entry at this index.
    case action(Int)
    /// Liveness: do the liveness checkers hold yet?
    case livenessCheck
    case resume(node: Int, pause: Int)
    /// The tasks layer submits its next task through a random live node.
    case taskSubmit
    /// The tasks layer cancels this task through a random live node.
    case taskCancel(TaskID)
    /// A fake agent run ends (unless it was stopped, or its node died first).
    case agentDone(node: Int, life: Int, RunID, AgentExit)
}

struct Event: Comparable {
    var time: Int64
    var sequence: UInt64
    var kind: EventKind

    static func < (a: Event, b: Event) -> Bool { a.time != b.time ? a.time < b.time : a.sequence < b.sequence }
    static func == (a: Event, b: Event) -> Bool { a.time == b.time && a.sequence == b.sequence }
}

/// Events ordered by (time, insertion sequence): ties keep insertion order, so the simulation
/// never depends on anything but the seed.
struct EventQueue {
    private var heap = MinHeap<Event>()
    private var nextSequence: UInt64 = 0

    var count: Int { heap.count }
    var isEmpty: Bool { heap.isEmpty }
    var nextTime: Int64? { heap.first?.time }

    mutating func push(_ time: Int64, _ kind: EventKind) {
        nextSequence += 1
        heap.push(Event(time: time, sequence: nextSequence, kind: kind))
    }

    mutating func pop() -> Event? { heap.pop() }
}

/// FNV-1a, 64 bits, over everything the simulation delivers and every directive the nodes emit.
/// Two runs with the same seed and code must end with the same value.
struct TraceHash {
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    @inline(__always) mutating func mix(_ byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }

    mutating func mix(_ v: UInt64) {
        var x = v
        for _ in 0..<8 { mix(UInt8(x & 0xFF)); x >>= 8 }
    }

    mutating func mix(_ v: Int) { mix(UInt64(bitPattern: Int64(v))) }

    mutating func mix(_ bytes: Bytes) {
        mix(UInt64(bytes.count))
        for b in bytes { mix(b) }
    }

    mutating func mix(_ s: String) {
        mix(UInt64(s.utf8.count))
        for b in s.utf8 { mix(b) }
    }

    var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
