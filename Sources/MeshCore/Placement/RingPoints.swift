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
