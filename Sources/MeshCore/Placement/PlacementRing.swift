/// The consistent-hash ring for one placement class: one profile and one set of required tags.
///
/// Build it once per change of membership or of slots (O(P) hashing plus an O(P) radix sort for P
/// points) and keep it; busy slots update in place. Each lookup is a binary search (O(log P))
/// plus a short clockwise walk.
///
/// - Only eligible candidates are on the ring: alive, with slots for the profile, carrying every
///   required tag. The rest are listed in `excluded` with why.
/// - Member i weighs w_i = its slots for the profile and owns w_i × `pointsPerSlot` virtual points
///   (see `PlacementSettings`; fixed, so a join or leave moves only the keys of the member that
///   changed).
/// - Members are indexed in name order and points sort by (hash, member index): the same facts in
///   any order build the same ring.
/// - Lookups apply bounded loads (Mirrokni, Thorup, Zadimoghaddam, "Consistent Hashing with
///   Bounded Loads", 2018, weighted): see `ownerIndex(forKeyHash:loads:)`.
public struct PlacementRing: Sendable {
    /// The profile every member of the ring can run.
    public let profile: String
    /// Tags every member of the ring carries.
    public let requiredTags: [String]
    /// The settings the ring was built with.
    public let settings: PlacementSettings
    /// Eligible members, in name order (`PlacementCandidate.namePrecedes`); a member's position here
    /// is its member index.
    public let names: [String]
    /// Weight (slots for the profile) per member index.
    public let weights: [Int]
    /// Free slots for the profile per member index. Busy slots change far more often than
    /// membership or slots: update them with `setFreeSlots(_:for:)` instead of rebuilding.
    public private(set) var freeSlots: [Int]
    /// W: the sum of `weights`.
    public let totalWeight: Int
    /// Candidates left off the ring (not alive, lacking the profile or a tag), in name order.
    public let excluded: [PlacementSkip]
    /// Points per slot this ring was built with (`settings.pointsPerSlot` unless the cap applied).
    public let pointsPerSlotUsed: Int
    let points: RingPoints
    let indexByName: [String: Int]

    /// Builds the ring for `profile` and `requiredTags` from `candidates` (any order).
    ///
    /// Names should be unique; if one repeats, the ring keeps the copy that is alive, then has the
    /// most slots for the profile, then the most free slots (an order-independent choice).
    ///
    /// Give the ring this one replaces as `previous` (same profile, tags and settings) and the
    /// points of members whose slots did not change are reused: a join, leave or slot change then
    /// costs O(P) instead of a full build. The result is the same either way.
    public init(candidates: [PlacementCandidate], profile: String, requiredTags: [String] = [],
                settings: PlacementSettings = PlacementSettings(), reusing previous: PlacementRing? = nil) {
        self.profile = profile
        self.requiredTags = requiredTags
        self.settings = settings
        var names: [String] = [], weights: [Int] = [], free: [Int] = [], hashes: [UInt64] = []
        var excluded: [PlacementSkip] = []
        for candidate in PlacementRing.unique(candidates, profile: profile) {
            if let reason = PlacementRing.ineligibility(candidate, profile: profile, requiredTags: requiredTags) {
                excluded.append(PlacementSkip(name: candidate.name, reason: reason))
                continue
            }
            names.append(candidate.name)
            weights.append(candidate.slotCount(profile))
            free.append(candidate.freeSlotCount(profile))
            hashes.append(PlacementHash.fnv1a64(candidate.name))
        }
        let total = weights.reduce(0, +)
        let perSlot = RingPoints.pointsPerUnit(settings.pointsPerSlot, totalWeight: total, cap: settings.ringPointsMax)
        var index: [String: Int] = [:]
        index.reserveCapacity(names.count)
        for (position, name) in names.enumerated() { index[name] = position }
        self.names = names
        self.weights = weights
        self.freeSlots = free
        self.totalWeight = total
        self.pointsPerSlotUsed = perSlot
        self.excluded = excluded
        self.indexByName = index
        let counts = weights.map { $0 * perSlot }
        if let previous, previous.profile == profile, previous.settings == settings {
            self.points = RingPoints(nameHashes: hashes, counts: counts, reusing: previous.points,
                                     keep: previous.keep(in: index, counts: counts))
        } else {
            self.points = RingPoints(nameHashes: hashes, counts: counts)
        }
    }

    /// For each of this ring's members, its index on a new ring (`index`, `counts`) when it is there
    /// with the same number of points, else −1.
    func keep(in index: [String: Int], counts: [Int]) -> [Int] {
        names.indices.map { old in
            guard let new = index[names[old]], counts[new] == weights[old] * pointsPerSlotUsed else { return -1 }
            return new
        }
    }

    /// Why `candidate` may not own tasks of `profile` needing `requiredTags`, or nil if it may.
    public static func ineligibility(_ candidate: PlacementCandidate, profile: String,
                                     requiredTags: [String]) -> PlacementSkipReason? {
        guard candidate.isAlive else { return .notAlive }
        guard candidate.slotCount(profile) > 0 else { return .lacksProfile(profile) }
        for tag in requiredTags where !candidate.carries(tag, for: profile) {
            return .lacksTag(tag)
        }
        return nil
    }

    /// Candidates sorted by name with repeated names reduced to one (see `init`).
    static func unique(_ candidates: [PlacementCandidate], profile: String) -> [PlacementCandidate] {
        let sorted = candidates.sorted { a, b in
            if !a.name.utf8.elementsEqual(b.name.utf8) { return PlacementCandidate.namePrecedes(a.name, b.name) }
            if a.isAlive != b.isAlive { return a.isAlive }
            if a.slotCount(profile) != b.slotCount(profile) { return a.slotCount(profile) > b.slotCount(profile) }
            return a.freeSlotCount(profile) > b.freeSlotCount(profile)
        }
        var result: [PlacementCandidate] = []
        result.reserveCapacity(sorted.count)
        for candidate in sorted where !(result.last.map { $0.name.utf8.elementsEqual(candidate.name.utf8) } ?? false) {
            result.append(candidate)
        }
        return result
    }

    /// Records that `name` now has `free` free slots for the ring's profile (clamped to
    /// `0...PlacementLimits.slotsMax`). O(1); false when `name` is not on the ring.
    @discardableResult
    public mutating func setFreeSlots(_ free: Int, for name: String) -> Bool {
        guard let member = indexByName[name] else { return false }
        freeSlots[member] = min(max(free, 0), PlacementLimits.slotsMax)
        return true
    }

    /// Number of members on the ring.
    public var memberCount: Int { names.count }
    /// Number of virtual points on the ring.
    public var pointCount: Int { points.count }

    /// The member index of `name`, or nil when it is not on the ring.
    public func index(of name: String) -> Int? { indexByName[name] }

    /// No task assigned to anyone yet.
    public func emptyLoads() -> PlacementLoads {
        PlacementLoads(memberCount: names.count)
    }

    /// Loads from member name → tasks of this profile assigned to it. Names not on the ring are
    /// ignored; negative counts read as 0.
    public func loads(_ assigned: [String: Int]) -> PlacementLoads {
        var loads = emptyLoads()
        for (position, name) in names.enumerated() {
            if let count = assigned[name] { loads.add(member: position, count: count) }
        }
        return loads
    }
}

/// Tasks of one ring's profile assigned to each member of that ring (by member index).
public struct PlacementLoads: Equatable, Sendable {
    /// Assigned tasks per member index.
    public private(set) var assigned: [Int]
    /// m: the sum of `assigned`.
    public private(set) var total: Int

    /// All zero, for a ring of `memberCount` members.
    public init(memberCount: Int) {
        assigned = Array(repeating: 0, count: max(memberCount, 0))
        total = 0
    }

    /// Counts `count` more tasks (clamped to `0...PlacementLimits.assignedMax` per member) on `member`.
    public mutating func add(member: Int, count: Int = 1) {
        precondition(assigned.indices.contains(member), "PlacementLoads.add: member \(member) of \(assigned.count)")
        let before = assigned[member]
        let (sum, overflow) = before.addingReportingOverflow(count)
        let after = min(max(overflow ? (count > 0 ? Int.max : 0) : sum, 0), PlacementLimits.assignedMax)
        assigned[member] = after
        total = total &+ (after &- before)
    }
}
