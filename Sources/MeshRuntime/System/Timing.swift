import MeshCore

/// How often something took how long, summed (for `/v1/health`, where a benchmark reads the
/// difference over a run to say where a request's time went). Values only grow; sums wrap
/// instead of trapping.
public struct Timing: Sendable, Equatable {
    public private(set) var count: UInt64 = 0
    public private(set) var totalMicroseconds: UInt64 = 0
    public private(set) var maxMicroseconds: UInt64 = 0

    public init() {}

    /// Adds one duration of `nanoseconds` (negative counts as 0).
    public mutating func add(_ nanoseconds: Nanoseconds) {
        let micros = UInt64(clamping: max(0, nanoseconds) / 1_000)
        count &+= 1
        totalMicroseconds &+= micros
        maxMicroseconds = max(maxMicroseconds, micros)
    }

    /// The health counters `<name>Count` and `<name>Micros` (the sum).
    public func counters(_ name: String) -> [(String, UInt64)] {
        [(name + "Count", count), (name + "Micros", totalMicroseconds)]
    }
}
