/// What this node's failure detector has done so far (counters for `/metrics`).
public struct ProbeStats: Sendable, Equatable {
    /// Probes started (one per direct ping of a member; indirect help is part of the same probe).
    public var started: UInt64 = 0
    /// Probes whose deadline passed without an ack, direct or indirect.
    public var failed: UInt64 = 0
    public init() {}
}
