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
    /// The most points one ring holds, so a rebuild stays within a few milliseconds (the sort's
    /// working set stays in cache: about 3 MB at this size). Beyond W = ringPointsMax / pointsPerSlot
    /// total slots (8,192 at the defaults: 1,000 members averaging 8 slots), points per slot drop
    /// to ⌊ringPointsMax / W⌋ (at least 1). Each step down (16 → 15 → 14 …, one every several
    /// hundred slots of growth) moves about 1/(points per slot) of the keys once; between steps a
    /// join or leave moves only the keys of the member that changed.
    public var ringPointsMax: Int
    /// Virtual points per member on the replica ring (all alive members, equal weight), fixed for the
    /// same reason; the same `ringPointsMax` applies.
    public var replicaPointsPerMember: Int

    /// The protocol defaults.
    public init(balanceSlackPermille: Int = 250, pointsPerSlot: Int = 16, ringPointsMax: Int = 1 << 17,
                replicaPointsPerMember: Int = 32) {
        self.balanceSlackPermille = balanceSlackPermille
        self.pointsPerSlot = pointsPerSlot
        self.ringPointsMax = ringPointsMax
        self.replicaPointsPerMember = replicaPointsPerMember
    }
}
