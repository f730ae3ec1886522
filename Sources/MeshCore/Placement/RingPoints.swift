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
        var (hashes, members) = RingPoints.generate(nameHashes: nameHashes, counts: counts) { _ in true }
        RingPoints.sort(&hashes, carrying: &members)
        self.hashes = hashes
        self.members = members
    }

    /// The same points as `init(nameHashes:counts:)`, reusing `previous` in O(P): `keep[old]` is the
    /// new index of old member `old` whose points stay as they were (same name, same count), or
    /// −1 when they go. Only members no old member maps to get fresh points, which are sorted and
    /// merged with the kept ones. Renumbering keeps name order, so kept points stay sorted by
    /// (hash, member) and the merge gives exactly the from-scratch order.
    init(nameHashes: [UInt64], counts: [Int], reusing previous: RingPoints, keep: [Int]) {
        precondition(nameHashes.count == counts.count && counts.count <= Int(UInt32.max),
                     "RingPoints: \(nameHashes.count) hashes for \(counts.count) counts")
        var reused = [Bool](repeating: false, count: counts.count)
        for member in keep where member >= 0 { reused[member] = true }
        var (freshHashes, freshMembers) = RingPoints.generate(nameHashes: nameHashes, counts: counts) { !reused[$0] }
        RingPoints.sort(&freshHashes, carrying: &freshMembers)
        var hashes: [UInt64] = [], members: [UInt32] = []
        let total = counts.reduce(0) { $0 + max($1, 0) }
        hashes.reserveCapacity(total)
        members.reserveCapacity(total)
        var fresh = 0
        for point in 0..<previous.count {
            let member = keep[Int(previous.members[point])]
            guard member >= 0 else { continue }
            let hash = previous.hashes[point], renumbered = UInt32(truncatingIfNeeded: member)
            while fresh < freshHashes.count, (freshHashes[fresh], freshMembers[fresh]) < (hash, renumbered) {
                hashes.append(freshHashes[fresh]); members.append(freshMembers[fresh]); fresh += 1
            }
            hashes.append(hash); members.append(renumbered)
        }
        hashes.append(contentsOf: freshHashes[fresh...])
        members.append(contentsOf: freshMembers[fresh...])
        self.hashes = hashes
        self.members = members
    }

    /// The points of every member `i` for which `include(i)`, unsorted, in member order.
    static func generate(nameHashes: [UInt64], counts: [Int], include: (Int) -> Bool) -> ([UInt64], [UInt32]) {
        var hashes: [UInt64] = [], members: [UInt32] = []
        let total = counts.indices.reduce(0) { include($1) ? $0 + max(counts[$1], 0) : $0 }
        hashes.reserveCapacity(total)
        members.reserveCapacity(total)
        for member in counts.indices where include(member) {
            let nameHash = nameHashes[member]
            for index in 0..<max(counts[member], 0) {
                hashes.append(PlacementHash.point(nameHash: nameHash, index: index))
                members.append(UInt32(truncatingIfNeeded: member))
            }
        }
        return (hashes, members)
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

    /// Bits per radix-sort digit: 256 buckets, eight passes (the 512 write streams of a pass stay in L1).
    static let digitBits = 8

    /// Stable LSD radix sort of `keys` ascending, moving `values` along. Stable, so equal keys keep
    /// their input order (member index order, i.e. name order). One pass counts every digit;
    /// digits where every key agrees are skipped.
    static func sort(_ keys: inout [UInt64], carrying values: inout [UInt32]) {
        let n = keys.count
        precondition(values.count == n, "RingPoints.sort: \(n) keys, \(values.count) values")
        guard n > 1 else { return }
        let buckets = 1 << digitBits
        let mask = UInt64(buckets - 1)
        let shifts = Array(stride(from: 0, to: 64, by: digitBits))
        var counts = [Int](repeating: 0, count: buckets * shifts.count)
        counts.withUnsafeMutableBufferPointer { counts in
            for key in keys {
                for (pass, shift) in shifts.enumerated() {
                    counts[pass &* buckets &+ Int(truncatingIfNeeded: (key >> UInt64(shift)) & mask)] &+= 1
                }
            }
        }
        var keysOut = [UInt64](repeating: 0, count: n)
        var valuesOut = [UInt32](repeating: 0, count: n)
        for (pass, shift) in shifts.enumerated() {
            let base = pass * buckets
            if counts[base..<(base + buckets)].contains(n) { continue }
            var offsets = [Int](repeating: 0, count: buckets)
            var running = 0
            for digit in 0..<buckets {
                offsets[digit] = running
                running &+= counts[base + digit]
            }
            scatter(keys, values, into: &keysOut, &valuesOut, offsets: &offsets, shift: UInt64(shift), mask: mask)
            swap(&keys, &keysOut)
            swap(&values, &valuesOut)
        }
    }

    /// One radix pass: each key (and its value) to the next place of its digit's bucket.
    private static func scatter(_ keys: [UInt64], _ values: [UInt32], into keysOut: inout [UInt64],
                                _ valuesOut: inout [UInt32], offsets: inout [Int], shift: UInt64, mask: UInt64) {
        keys.withUnsafeBufferPointer { keys in
            values.withUnsafeBufferPointer { values in
                keysOut.withUnsafeMutableBufferPointer { keysOut in
                    valuesOut.withUnsafeMutableBufferPointer { valuesOut in
                        offsets.withUnsafeMutableBufferPointer { offsets in
                            for i in 0..<keys.count {
                                let key = keys[i]
                                let digit = Int(truncatingIfNeeded: (key >> shift) & mask)
                                let target = offsets[digit]
                                offsets[digit] = target &+ 1
                                keysOut[target] = key
                                valuesOut[target] = values[i]
                            }
                        }
                    }
                }
            }
        }
    }
}
