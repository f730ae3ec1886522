import Foundation
import MeshCore
import MeshRuntime

/// `mesh bench place`: lookup and rebuild cost of the placement ring, balance with and without
/// bounded loads, and movement when a member leaves or joins. Pure computation, no nodes.
struct PlacementBench {
    /// Lookups timed per ring size (per repeat).
    let lookups: Int
    /// The ring settings measured (the protocol defaults unless `--points-per-slot` is given).
    let settings: PlacementSettings
    /// Repeats of each timing; the fastest counts (the machine is shared).
    static let repeats = 5
    /// Ring sizes for lookup timing.
    static let lookupSizes = [10, 100, 1_000]
    /// Ring sizes for balance figures.
    static let balanceSizes = [3, 10, 100]
    /// Members in the rebuild timing.
    static let rebuildSize = 1_000

    /// Ring build and rebuild cost at 1,000 members.
    struct Rebuild { var points: Int; var buildMs: Double; var leaveMs: Double; var joinMs: Double; var replicaMs: Double }
    /// One ring size's lookup cost.
    struct Lookup { var members: Int; var points: Int; var boundedNs: Double; var bareNs: Double }
    /// Balance of one member set: max over members of assigned ÷ fair share.
    struct Balance { var members: Int; var skewed: Bool; var keys: Int; var bounded: Double; var bare: Double; var allowance: Double }
    /// Keys that changed owner when one member left or joined.
    struct Movement {
        var members: Int; var change: String; var keys: Int
        /// The member's share of the total weight (w/W; after the join for a join).
        var weightShare: Double
        /// The fraction of keys it owned on the bare ring before leaving (after joining).
        var ownedShare: Double
        var movedBare: Double; var movedBounded: Double
    }

    func run(json asJSON: Bool) -> Int32 {
        let lookup = PlacementBench.lookupSizes.map(measureLookup)
        let rebuild = measureRebuild()
        var balances: [Balance] = []
        for size in PlacementBench.balanceSizes {
            balances.append(balance(PlacementStudy.equalMembers(size), skewed: false))
            balances.append(balance(PlacementStudy.skewedMembers(size), skewed: true))
        }
        let moves = [10, 100].flatMap { [leave($0), join($0)] }
        if asJSON {
            print(json(lookup: lookup, rebuild: rebuild, balance: balances, movement: moves).serialized(pretty: true))
        } else {
            printText(lookup: lookup, rebuild: rebuild, balance: balances, movement: moves)
        }
        return 0
    }

    /// Nanoseconds per bounded lookup (key hash + binary search + walk, with loads of 100 tasks per
    /// member placed) and per bare-ring lookup, on skewed members.
    func measureLookup(_ size: Int) -> Lookup {
        let ring = PlacementRing(candidates: PlacementStudy.skewedMembers(size), profile: PlacementStudy.profile, settings: settings)
        var loads = ring.emptyLoads()
        for key in PlacementStudy.keys(100 * size) {
            if let owner = ring.ownerIndex(forKeyHash: PlacementHash.keyHash(key), loads: loads) { loads.add(member: owner) }
        }
        let keys = (0..<min(lookups, 65_536)).map { "lookup-\($0)" }
        let bounded = PlacementBench.fastest { sink in
            for i in 0..<lookups { sink &+= ring.ownerIndex(forKeyHash: PlacementHash.keyHash(keys[i % keys.count]), loads: loads) ?? 0 }
        } / Double(lookups)
        let bare = PlacementBench.fastest { sink in
            for i in 0..<lookups { sink &+= ring.ownerIndex(forKeyHash: PlacementHash.keyHash(keys[i % keys.count]), loads: nil) ?? 0 }
        } / Double(lookups)
        return Lookup(members: size, points: ring.pointCount, boundedNs: bounded, bareNs: bare)
    }

    /// Milliseconds to build the profile ring of 1,000 skewed members from scratch, to rebuild it
    /// from the previous ring after one member left and after one joined, and to build the replica ring.
    func measureRebuild() -> Rebuild {
        let members = PlacementStudy.skewedMembers(PlacementBench.rebuildSize)
        let left = members.enumerated().filter { $0.offset != PlacementBench.rebuildSize / 2 }.map(\.element)
        let joined = members + [PlacementCandidate(name: "node-joined", slots: [PlacementStudy.profile: 8])]
        let full = PlacementRing(candidates: members, profile: PlacementStudy.profile, settings: settings)
        let build = PlacementBench.fastest { sink in
            sink &+= PlacementRing(candidates: members, profile: PlacementStudy.profile, settings: settings).pointCount
        } / 1e6
        let leave = PlacementBench.fastest { sink in
            sink &+= PlacementRing(candidates: left, profile: PlacementStudy.profile, settings: settings, reusing: full).pointCount
        } / 1e6
        let join = PlacementBench.fastest { sink in
            sink &+= PlacementRing(candidates: joined, profile: PlacementStudy.profile, settings: settings, reusing: full).pointCount
        } / 1e6
        let replica = PlacementBench.fastest { sink in sink &+= ReplicaRing(candidates: left, settings: settings).names.count } / 1e6
        return Rebuild(points: full.pointCount, buildMs: build, leaveMs: leave, joinMs: join, replicaMs: replica)
    }

    /// Nanoseconds of the fastest of `repeats` runs of `body` (which adds to a sink so the work is kept).
    static func fastest(_ body: (inout Int) -> Void) -> Double {
        var best = Double.infinity
        var sink = 0
        for _ in 0..<repeats {
            let start = SystemClock.monotonicNanoseconds()
            body(&sink)
            best = min(best, Double(SystemClock.monotonicNanoseconds() - start))
        }
        if sink == Int.min { print("") }
        return best
    }

    /// Balance with 100 keys for the smallest member (so every member expects at least 100).
    func balance(_ members: [PlacementCandidate], skewed: Bool) -> Balance {
        let ring = PlacementRing(candidates: members, profile: PlacementStudy.profile, settings: settings)
        let keys = PlacementStudy.keys(PlacementStudy.keyCount(ring: ring, perMember: 100))
        let bounded = PlacementStudy.counts(PlacementStudy.owners(ring: ring, keys: keys, bounded: true), memberCount: ring.memberCount)
        let bare = PlacementStudy.counts(PlacementStudy.owners(ring: ring, keys: keys, bounded: false), memberCount: ring.memberCount)
        let smallest = Double(keys.count) * Double(ring.weights.min() ?? 1) / Double(ring.totalWeight)
        return Balance(members: members.count, skewed: skewed, keys: keys.count,
                       bounded: PlacementStudy.maxLoadRatio(ring: ring, counts: bounded),
                       bare: PlacementStudy.maxLoadRatio(ring: ring, counts: bare), allowance: 1.25 + 1 / smallest)
    }

    /// The largest member of `size` skewed members leaves.
    func leave(_ size: Int) -> Movement {
        let before = PlacementStudy.skewedMembers(size)
        let leaver = before.max { $0.slotCount(PlacementStudy.profile) < $1.slotCount(PlacementStudy.profile) }!
        return movement(before: before, after: before.filter { $0.name != leaver.name }, subject: leaver, change: "leave")
    }

    /// A member with 8 slots joins `size` skewed members.
    func join(_ size: Int) -> Movement {
        let before = PlacementStudy.skewedMembers(size)
        let joiner = PlacementCandidate(name: "node-joined", slots: [PlacementStudy.profile: 8])
        return movement(before: before, after: before + [joiner], subject: joiner, change: "join")
    }

    func movement(before: [PlacementCandidate], after: [PlacementCandidate], subject: PlacementCandidate,
                         change: String) -> Movement {
        let bigger = after.count > before.count ? after : before
        let ring = PlacementRing(candidates: bigger, profile: PlacementStudy.profile, settings: settings)
        let keys = PlacementStudy.keys(100 * bigger.count)
        let bareBefore = PlacementStudy.ownerNames(members: before, keys: keys, bounded: false, settings: settings)
        let bareAfter = PlacementStudy.ownerNames(members: after, keys: keys, bounded: false, settings: settings)
        let owned = (change == "leave" ? bareBefore : bareAfter).filter { $0 == subject.name }.count
        return Movement(
            members: before.count, change: change, keys: keys.count,
            weightShare: Double(subject.slotCount(PlacementStudy.profile)) / Double(ring.totalWeight),
            ownedShare: Double(owned) / Double(keys.count),
            movedBare: PlacementStudy.movedFraction(bareBefore, bareAfter),
            movedBounded: PlacementStudy.movedFraction(PlacementStudy.ownerNames(members: before, keys: keys, bounded: true, settings: settings),
                                                       PlacementStudy.ownerNames(members: after, keys: keys, bounded: true, settings: settings)))
    }
}
