/// The consistent-hash ring for one placement class: one profile and one set of required tags.
///
/// Build it once per membership or capacity change (O(P log P) for P points) and keep it; each
/// lookup is a binary search (O(log P)) plus a short clockwise walk.
///
/// - Only eligible candidates are on the ring: alive, with slots for the profile, carrying every
///   required tag. The rest are listed in `excluded` with why.
/// - Member i weighs w_i = its slots for the profile and owns w_i × points-per-slot virtual points
///   (`PlacementSettings`; scaled down so the ring holds at most `ringPointsMax`, at least one each).
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
    /// Eligible members, in name order; a member's position here is its member index.
    public let names: [String]
    /// Weight (slots for the profile) per member index.
    public let weights: [Int]
    /// Free slots for the profile per member index.
    public let freeSlots: [Int]
    /// W: the sum of `weights`.
    public let totalWeight: Int
    /// Candidates left off the ring (not alive, lacking the profile or a tag), in name order.
    public let excluded: [PlacementSkip]
    let points: RingPoints
    let indexByName: [String: Int]

    /// Builds the ring for `profile` and `requiredTags` from `candidates` (any order).
    ///
    /// Names should be unique; if one repeats, the ring keeps the copy that is alive, then has the
    /// most slots for the profile, then the most free slots (an order-independent choice).
    public init(candidates: [PlacementCandidate], profile: String, requiredTags: [String] = [],
                settings: PlacementSettings = PlacementSettings()) {
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
        self.names = names
        self.weights = weights
        self.freeSlots = free
        self.totalWeight = total
        self.excluded = excluded
        self.points = RingPoints(nameHashes: hashes, counts: weights.map { $0 * perSlot })
        var index: [String: Int] = [:]
        index.reserveCapacity(names.count)
        for (position, name) in names.enumerated() { index[name] = position }
        self.indexByName = index
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
            if a.name != b.name { return a.name < b.name }
            if a.isAlive != b.isAlive { return a.isAlive }
            if a.slotCount(profile) != b.slotCount(profile) { return a.slotCount(profile) > b.slotCount(profile) }
            return a.freeSlotCount(profile) > b.freeSlotCount(profile)
        }
        var result: [PlacementCandidate] = []
        result.reserveCapacity(sorted.count)
        for candidate in sorted where result.last?.name != candidate.name {
            result.append(candidate)
        }
        return result
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
        let after = min(max(before.addingReportingOverflow(count).partialValue, 0), PlacementLimits.assignedMax)
        assigned[member] = after
        total = total &+ (after &- before)
    }
}
