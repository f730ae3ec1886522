/// The sorted virtual points of one ring: parallel arrays of point hashes and the index of the
/// member owning each point. Members are indexed in name order, and points sort by (hash, member
/// index), so equal hashes (vanishingly rare) break ties by name and the result never depends on
/// the order the members were given in.
struct RingPoints: Sendable {
    /// Point hashes, ascending.
    let hashes: [UInt64]
    /// `members[p]` owns point `p`: an index into the ring's member list.
    let members: [UInt32]

    /// Builds the points for members `0..<counts.count`, member `i` getting `counts[i]` points
    /// derived from `nameHashes[i]`. O(P log P) for P points.
    init(nameHashes: [UInt64], counts: [Int]) {
        precondition(nameHashes.count == counts.count && counts.count <= Int(UInt32.max),
                     "RingPoints: \(nameHashes.count) hashes for \(counts.count) counts")
        var packed: [UInt128] = []
        packed.reserveCapacity(counts.reduce(0, +))
        for member in counts.indices {
            let nameHash = nameHashes[member]
            for index in 0..<counts[member] {
                let hash = PlacementHash.point(nameHash: nameHash, index: index)
                packed.append(UInt128(hash) << 32 | UInt128(member))
            }
        }
        packed.sort()
        hashes = packed.map { UInt64(truncatingIfNeeded: $0 >> 32) }
        members = packed.map { UInt32(truncatingIfNeeded: $0) }
    }

    /// Number of points.
    var count: Int { hashes.count }

    /// The first point at or clockwise after `hash` (wrapping to 0); 0 when there are no points.
    func start(at hash: UInt64) -> Int {
        var low = 0
        var high = hashes.count
        while low < high {
            let middle = low &+ (high &- low) >> 1
            if hashes[middle] < hash { low = middle &+ 1 } else { high = middle }
        }
        return low == hashes.count ? 0 : low
    }

    /// Points per weight unit so that the total stays within `cap`: `perUnit`, scaled down to
    /// ⌊cap / totalWeight⌋ when needed, never below 1.
    static func pointsPerUnit(_ perUnit: Int, totalWeight: Int, cap: Int) -> Int {
        guard totalWeight > 0 else { return max(perUnit, 1) }
        return max(1, min(perUnit, cap / totalWeight))
    }
}
