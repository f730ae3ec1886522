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
    /// Virtual points per slot on a profile ring. Fixed, not derived from the ring's size: if the
    /// points per slot followed the total weight, every join or leave would add or drop points on
    /// every member and move keys between members that did not change.
    public var pointsPerSlot: Int
    /// A safety limit on the points of one ring (memory, build time), far above real meshes (1,000
    /// members with 16 slots each at the default 24 points per slot hold 384,000). Beyond it points
    /// per slot drop to ⌊ringPointsMax / W⌋ (at least 1); each step down moves about 1/(points per
    /// slot) of the keys, so a mesh that crosses it pays one reshuffle.
    public var ringPointsMax: Int
    /// Virtual points per member on the replica ring (all alive members, equal weight), fixed for the
    /// same reason; the same `ringPointsMax` applies.
    public var replicaPointsPerMember: Int

    /// The protocol defaults.
    public init(balanceSlackPermille: Int = 250, pointsPerSlot: Int = 24, ringPointsMax: Int = 1 << 20,
                replicaPointsPerMember: Int = 32) {
        self.balanceSlackPermille = balanceSlackPermille
        self.pointsPerSlot = pointsPerSlot
        self.ringPointsMax = ringPointsMax
        self.replicaPointsPerMember = replicaPointsPerMember
    }
}
