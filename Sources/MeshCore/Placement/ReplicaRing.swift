/// The ring replicas are chosen from: every alive member, with equal weight, whatever it can run
/// (replicas only store a task; they need not run its profile).
///
/// Replicas of a key are the first distinct members clockwise from the key's point on this ring,
/// skipping the owner. A second ring (rather than the owner's profile ring) because replicas may
/// be members the profile ring leaves off, and equal weight because storing does not use slots.
public struct ReplicaRing: Sendable {
    /// Alive members, in name order (`PlacementCandidate.namePrecedes`).
    public let names: [String]
    let points: RingPoints

    /// Builds the ring from `candidates` (any order; repeated names count once; not-alive ones are
    /// left off). Each member gets `replicaPointsPerMember` points, scaled down so the ring holds
    /// at most `ringPointsMax` (at least one each).
    public init(candidates: [PlacementCandidate], settings: PlacementSettings = PlacementSettings()) {
        var names = candidates.filter(\.isAlive).map(\.name)
        names.sort(by: PlacementCandidate.namePrecedes)
        var unique: [String] = []
        unique.reserveCapacity(names.count)
        for name in names where !(unique.last.map { $0.utf8.elementsEqual(name.utf8) } ?? false) { unique.append(name) }
        let perMember = RingPoints.pointsPerUnit(settings.replicaPointsPerMember, totalWeight: unique.count,
                                                 cap: settings.ringPointsMax)
        self.names = unique
        self.points = RingPoints(nameHashes: unique.map(PlacementHash.fnv1a64),
                                 counts: Array(repeating: perMember, count: unique.count))
    }

    /// Whether `name` is on the ring. O(log n): a binary search in name order.
    public func contains(_ name: String) -> Bool {
        var low = 0
        var high = names.count
        while low < high {
            let middle = low + (high - low) / 2
            if PlacementCandidate.namePrecedes(names[middle], name) { low = middle + 1 } else { high = middle }
        }
        return low < names.count && names[low].utf8.elementsEqual(name.utf8)
    }

    /// Up to `count` (clamped to `0...PlacementLimits.replicaCountMax`) distinct members clockwise
    /// from `hash`, never `owner`; fewer when the ring has too few members.
    public func replicas(forKeyHash hash: UInt64, count: Int, excluding owner: String?) -> [String] {
        let wanted = min(max(count, 0), PlacementLimits.replicaCountMax, names.count - (owner.map(contains) == true ? 1 : 0))
        guard wanted > 0, points.count > 0 else { return [] }
        var chosen: [String] = []
        chosen.reserveCapacity(wanted)
        var position = points.start(at: hash)
        for _ in 0..<points.count {
            let name = names[Int(points.members[position])]
            if name != owner && !chosen.contains(name) {
                chosen.append(name)
                if chosen.count == wanted { break }
            }
            position = position &+ 1 == points.count ? 0 : position &+ 1
        }
        return chosen
    }
}
