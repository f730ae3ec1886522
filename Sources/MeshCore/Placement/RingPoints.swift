/// The sorted virtual points of one ring: parallel arrays of point hashes and the index of the
/// member owning each point. Members are indexed in name order, and points sort by (hash, member
/// index), so equal hashes (vanishingly rare) break ties by name and the result never depends on
/// the order the members were given in.
struct RingPoints: Sendable {
    /// Point hashes, ascending.
    let hashes: [UInt64]
    /// `members[p]` owns point `p`: an index into the ring's member list.
    let members: [UInt32]

    /// Builds the points for members `0..<counts.count`, member `i` getting points `0..<counts[i]`
    /// derived from `nameHashes[i]` (a prefix of its sequence, so a member whose count grows keeps
    /// its old points). O(P) hashing plus an O(P) radix sort for P points.
    init(nameHashes: [UInt64], counts: [Int]) {
        precondition(nameHashes.count == counts.count && counts.count <= Int(UInt32.max),
                     "RingPoints: \(nameHashes.count) hashes for \(counts.count) counts")
        let total = counts.reduce(0) { $0 + max($1, 0) }
        var hashes: [UInt64] = []
        var members: [UInt32] = []
        hashes.reserveCapacity(total)
        members.reserveCapacity(total)
        for member in counts.indices {
            let nameHash = nameHashes[member]
            for index in 0..<max(counts[member], 0) {
                hashes.append(PlacementHash.point(nameHash: nameHash, index: index))
                members.append(UInt32(truncatingIfNeeded: member))
            }
        }
        RingPoints.sort(&hashes, carrying: &members)
        self.hashes = hashes
        self.members = members
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

    /// Points per weight unit: `perUnit`, unless `totalWeight × perUnit` would exceed `cap`, then
    /// ⌊cap / totalWeight⌋; never below 1.
    static func pointsPerUnit(_ perUnit: Int, totalWeight: Int, cap: Int) -> Int {
        let perUnit = max(perUnit, 1)
        guard totalWeight > 0, totalWeight.multipliedReportingOverflow(by: perUnit).partialValue > cap
                || totalWeight.multipliedReportingOverflow(by: perUnit).overflow else { return perUnit }
        return max(1, cap / totalWeight)
    }

    /// Bits per radix-sort digit: 2,048 buckets (a 16 KB count table stays in L1), six passes.
    static let digitBits = 11

    /// Stable LSD radix sort of `keys` ascending, moving `values` along. Stable, so equal keys keep
    /// their input order (member index order, i.e. name order). Passes where every key has the
    /// same digit are skipped.
    static func sort(_ keys: inout [UInt64], carrying values: inout [UInt32]) {
        let n = keys.count
        guard n > 1 else { return }
        let buckets = 1 << digitBits
        let mask = UInt64(buckets - 1)
        var keysOut = [UInt64](repeating: 0, count: n)
        var valuesOut = [UInt32](repeating: 0, count: n)
        var offsets = [Int](repeating: 0, count: buckets)
        for shift in stride(from: 0, to: 64, by: digitBits) {
            for i in 0..<buckets { offsets[i] = 0 }
            for key in keys { offsets[Int(truncatingIfNeeded: (key >> UInt64(shift)) & mask)] &+= 1 }
            if offsets.contains(n) { continue }
            var running = 0
            for i in 0..<buckets {
                let count = offsets[i]
                offsets[i] = running
                running &+= count
            }
            for i in 0..<n {
                let key = keys[i]
                let digit = Int(truncatingIfNeeded: (key >> UInt64(shift)) & mask)
                let target = offsets[digit]
                offsets[digit] = target &+ 1
                keysOut[target] = key
                valuesOut[target] = values[i]
            }
            swap(&keys, &keysOut)
            swap(&values, &valuesOut)
        }
    }
}
