/// Limits on placement inputs. Numbers that came from the wire are clamped to these, never trusted.
public enum PlacementLimits {
    /// Slots one member may claim for one profile; more is read as this many.
    public static let slotsMax = 1_024
    /// Replicas one query may ask for.
    public static let replicaCountMax = 16
    /// Assigned tasks counted per member (a larger synthetic load is read as this many).
    public static let assignedMax = 1 << 40
}

/// How rings are built and bounded. Every node must use the same settings, or they disagree on
/// owners: these are protocol constants, not per-node configuration.
public struct PlacementSettings: Equatable, Sendable {
    /// ε in thousandths: a member of weight w may hold at most ⌈(1+ε)·m·w/W⌉ of m assigned tasks.
    /// Kept as an integer so the bound is exact integer arithmetic on every machine. Default 250 (ε = 0.25).
    public var balanceSlackPermille: Int
    /// Virtual points per slot on a profile ring, before the cap below scales it down.
    public var pointsPerSlot: Int
    /// The most points one ring holds (build O(P log P), lookup O(log P)). When slots × `pointsPerSlot`
    /// would exceed it, points per slot drop to ⌊ringPointsMax / W⌋ (at least 1).
    public var ringPointsMax: Int
    /// Virtual points per member on the replica ring (all alive members, equal weight), before the cap.
    public var replicaPointsPerMember: Int

    /// The protocol defaults.
    public init(balanceSlackPermille: Int = 250, pointsPerSlot: Int = 64, ringPointsMax: Int = 65_536,
                replicaPointsPerMember: Int = 32) {
        self.balanceSlackPermille = balanceSlackPermille
        self.pointsPerSlot = pointsPerSlot
        self.ringPointsMax = ringPointsMax
        self.replicaPointsPerMember = replicaPointsPerMember
    }
}
