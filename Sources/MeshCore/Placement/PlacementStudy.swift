/// Balance and movement figures for a ring, shared by the tests and `mesh bench place` so both
/// measure the same thing. Pure and deterministic: the same inputs give the same figures.
public enum PlacementStudy {
    /// The profile the study's candidates run.
    public static let profile = "agent"

    /// `count` alive members `node-1`… each with `slots` slots (equal weights).
    public static func equalMembers(_ count: Int, slots: Int = 1) -> [PlacementCandidate] {
        (1...max(count, 1)).map { PlacementCandidate(name: "node-\($0)", slots: [profile: slots]) }
    }

    /// `count` alive members `node-1`… with skewed slots from 1 to 16: member i has
    /// 1 + (7·i mod 16), so 3 members get 8, 15, 6 and larger sets cover every value.
    public static func skewedMembers(_ count: Int) -> [PlacementCandidate] {
        (1...max(count, 1)).map { PlacementCandidate(name: "node-\($0)", slots: [profile: 1 + (7 * $0) % 16]) }
    }

    /// The placement keys `task-0`…`task-(count-1)`.
    public static func keys(_ count: Int) -> [String] {
        (0..<max(count, 0)).map { "task-\($0)" }
    }

    /// How many keys make the smallest member of `ring` expect at least `perMember` of them:
    /// ⌈perMember·W/w_min⌉.
    public static func keyCount(ring: PlacementRing, perMember: Int) -> Int {
        guard let smallest = ring.weights.min(), smallest > 0 else { return 0 }
        return (perMember * ring.totalWeight + smallest - 1) / smallest
    }

    /// The owner of each key, in key order. Bounded: keys are assigned one by one and each owner's
    /// load grows as it takes a key (the bounded-load walk sees the loads so far). Bare: the plain
    /// ring, each key independently.
    public static func owners(ring: PlacementRing, keys: [String], bounded: Bool) -> [Int?] {
        var loads = ring.emptyLoads()
        return keys.map { key in
            let owner = ring.ownerIndex(forKeyHash: PlacementHash.keyHash(key), loads: bounded ? loads : nil)
            if let owner { loads.add(member: owner) }
            return owner
        }
    }

    /// Keys per member index.
    public static func counts(_ owners: [Int?], memberCount: Int) -> [Int] {
        var counts = Array(repeating: 0, count: memberCount)
        for case let owner? in owners { counts[owner] += 1 }
        return counts
    }

    /// max over members of assigned_i ÷ (m·w_i/W), m the keys placed: 1 is perfect balance.
    public static func maxLoadRatio(ring: PlacementRing, counts: [Int]) -> Double {
        let placed = Double(counts.reduce(0, +))
        guard placed > 0, ring.totalWeight > 0 else { return 0 }
        var worst = 0.0
        for member in counts.indices {
            let fair = placed * Double(ring.weights[member]) / Double(ring.totalWeight)
            worst = max(worst, Double(counts[member]) / fair)
        }
        return worst
    }

    /// The fraction of keys whose owner (by name) differs between two placements of the same keys.
    public static func movedFraction(_ before: [String?], _ after: [String?]) -> Double {
        precondition(before.count == after.count, "movedFraction: \(before.count) vs \(after.count) keys")
        guard !before.isEmpty else { return 0 }
        let moved = zip(before, after).reduce(0) { $0 + ($1.0 == $1.1 ? 0 : 1) }
        return Double(moved) / Double(before.count)
    }

    /// Owner names of `keys` on a ring built from `members`.
    public static func ownerNames(members: [PlacementCandidate], keys: [String], bounded: Bool,
                                  settings: PlacementSettings = PlacementSettings()) -> [String?] {
        let ring = PlacementRing(candidates: members, profile: profile, settings: settings)
        return owners(ring: ring, keys: keys, bounded: bounded).map { $0.map { ring.names[$0] } }
    }
}
