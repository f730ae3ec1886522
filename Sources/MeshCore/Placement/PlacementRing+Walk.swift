extension PlacementRing {
    /// The most tasks member `member` may hold when one more task is placed given `loads`:
    /// ⌈(1+ε)·m·w/W⌉ with m = `loads.total` + 1 (the task being placed counts), in exact integer
    /// arithmetic (ε in thousandths) so every machine gets the same bound.
    public func bound(member: Int, loads: PlacementLoads) -> Int {
        PlacementRing.bound(weight: weights[member], totalWeight: totalWeight, taskCount: loads.total &+ 1,
                            slackPermille: settings.balanceSlackPermille)
    }

    /// ⌈(1000+slack)·m·w / (1000·W)⌉, at least 1 (0 when W is 0).
    static func bound(weight: Int, totalWeight: Int, taskCount: Int, slackPermille: Int) -> Int {
        guard totalWeight > 0 else { return 0 }
        let slack = UInt128(min(max(slackPermille, 0), 1_000_000))
        let numerator = (1_000 + slack) * UInt128(max(taskCount, 0)) * UInt128(max(weight, 0))
        let denominator = 1_000 * UInt128(totalWeight)
        let ceiling = (numerator + denominator - 1) / denominator
        return Int(min(max(ceiling, 1), UInt128(Int.max)))
    }

    /// Why `member` cannot take one more task given `loads`, or nil if it can.
    public func fullness(member: Int, loads: PlacementLoads) -> PlacementSkipReason? {
        guard freeSlots[member] > 0 else { return .noFreeSlots }
        let limit = bound(member: member, loads: loads)
        guard loads.assigned[member] < limit else { return .atLoadBound(assigned: loads.assigned[member], bound: limit) }
        return nil
    }

    /// Points the walk checks one by one before it works out, once, which members can take a task
    /// at all: a saturated mesh then costs O(N) + a cheap O(P) scan instead of P bound checks.
    static let walkStepsBeforeScan = 64

    /// The owner's member index for a key hash (`PlacementHash.keyHash`).
    ///
    /// Walks clockwise from the key's point and takes the first member that has a free slot and
    /// holds fewer than its bound (`bound(member:loads:)`). With `loads` nil this is the bare ring
    /// (no bounds, free slots ignored): the member owning the first point clockwise. Nil when the
    /// ring is empty or every member is full. O(log P) plus the walk, which is short unless most
    /// members are full (then O(N + P)).
    public func ownerIndex(forKeyHash hash: UInt64, loads: PlacementLoads?) -> Int? {
        let count = points.count
        guard count > 0 else { return nil }
        var position = points.start(at: hash)
        guard let loads else { return Int(points.members[position]) }
        let taskCount = loads.total &+ 1
        let slack = settings.balanceSlackPermille
        for _ in 0..<min(count, PlacementRing.walkStepsBeforeScan) {
            let member = Int(points.members[position])
            if freeSlots[member] > 0, loads.assigned[member] < PlacementRing.bound(
                weight: weights[member], totalWeight: totalWeight, taskCount: taskCount, slackPermille: slack) {
                return member
            }
            position = position &+ 1 == count ? 0 : position &+ 1
        }
        let open = names.indices.map { fullness(member: $0, loads: loads) == nil }
        guard open.contains(true) else { return nil }
        while !open[Int(points.members[position])] {
            position = position &+ 1 == count ? 0 : position &+ 1
        }
        return Int(points.members[position])
    }

    /// The owner's name for a placement key, bounded by `loads` (nil: the bare ring).
    public func owner(forKey key: String, loads: PlacementLoads?) -> String? {
        ownerIndex(forKeyHash: PlacementHash.keyHash(key), loads: loads).map { names[$0] }
    }

    /// The owner for `key` and every member passed over: `excluded` (name order), then the full
    /// members the walk met before the owner (walk order, each once). For `mesh place` and logs;
    /// `ownerIndex` is the fast path and always agrees on the owner.
    public func explain(key: String, loads: PlacementLoads) -> (owner: String?, skipped: [PlacementSkip]) {
        var skipped = excluded
        let count = points.count
        guard count > 0 else { return (nil, skipped) }
        var seen = Array(repeating: false, count: names.count)
        var position = points.start(at: PlacementHash.keyHash(key))
        for _ in 0..<count {
            let member = Int(points.members[position])
            if !seen[member] {
                seen[member] = true
                guard let reason = fullness(member: member, loads: loads) else { return (names[member], skipped) }
                skipped.append(PlacementSkip(name: names[member], reason: reason))
            }
            position = position &+ 1 == count ? 0 : position &+ 1
        }
        return (nil, skipped)
    }
}
