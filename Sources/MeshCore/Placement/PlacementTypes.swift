/// One member as placement sees it: the facts every node learns from membership and capacity
/// gossip. Two nodes with the same candidates (in any order) compute the same owners and replicas.
public struct PlacementCandidate: Equatable, Sendable {
    /// The member name (unique in a view).
    public var name: String
    /// Whether membership holds the member alive. Suspect counts as alive (it may still answer);
    /// the caller decides and says so here. Only alive members are owners or replicas.
    public var isAlive: Bool
    /// Profile name → slots (how many tasks of that profile may run at once). A profile with 0
    /// slots is as good as absent. Values are clamped to `PlacementLimits.slotsMax`.
    public var slots: [String: Int]
    /// Profile name → slots busy now. Missing means 0. A profile whose busy slots reach its slots
    /// has no free slot and is skipped as full.
    public var busySlots: [String: Int]
    /// Node-level tags: apply to every profile of the member.
    public var tags: [String]
    /// Profile name → tags of that profile only, added to the node-level tags.
    public var profileTags: [String: [String]]

    /// A candidate; everything but the name defaults to "alive, no profiles, no tags".
    public init(name: String, isAlive: Bool = true, slots: [String: Int] = [:], busySlots: [String: Int] = [:],
                tags: [String] = [], profileTags: [String: [String]] = [:]) {
        self.name = name
        self.isAlive = isAlive
        self.slots = slots
        self.busySlots = busySlots
        self.tags = tags
        self.profileTags = profileTags
    }

    /// Slots for `profile`, clamped to `0...PlacementLimits.slotsMax` (hostile numbers never trap).
    public func slotCount(_ profile: String) -> Int {
        min(max(slots[profile] ?? 0, 0), PlacementLimits.slotsMax)
    }

    /// Free slots for `profile`: slots minus busy, never below 0.
    public func freeSlotCount(_ profile: String) -> Int {
        let busy = min(max(busySlots[profile] ?? 0, 0), PlacementLimits.slotsMax)
        return max(slotCount(profile) - busy, 0)
    }

    /// Name order for placement: by UTF-8 bytes, so it never depends on Unicode tables (member
    /// names are ASCII anyway, `MemberName`).
    public static func namePrecedes(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// Whether the member carries `tag` for `profile` (node-level or profile tag).
    public func carries(_ tag: String, for profile: String) -> Bool {
        tags.contains(tag) || (profileTags[profile]?.contains(tag) ?? false)
    }
}

/// What to place: a key, the profile that must run it, tags the runner must carry, and how many
/// replicas should store it.
public struct PlacementQuery: Equatable, Sendable {
    /// The placement key: the affinity key if the task has one, else the task id. Same key → same
    /// owner unless that owner is full (this is all an affinity key is).
    public var key: String
    /// The profile that must run the task.
    public var profile: String
    /// Tags the owner must carry (all of them), node-level or for the profile.
    public var requiredTags: [String]
    /// Replicas besides the owner, clamped to `0...PlacementLimits.replicaCountMax`.
    public var replicaCount: Int

    /// A query; `replicaCount` defaults to 1 (owner plus one replica).
    public init(key: String, profile: String, requiredTags: [String] = [], replicaCount: Int = 1) {
        self.key = key
        self.profile = profile
        self.requiredTags = requiredTags
        self.replicaCount = replicaCount
    }

    /// The placement key of a task: its affinity key when given (non-empty), else its id.
    public static func placementKey(taskID: String, affinityKey: String?) -> String {
        if let affinityKey, !affinityKey.isEmpty { return affinityKey }
        return taskID
    }
}

/// Why a member was not chosen as owner.
public enum PlacementSkipReason: Equatable, Sendable, CustomStringConvertible {
    /// Membership does not hold it alive.
    case notAlive
    /// It has no slots for the profile.
    case lacksProfile(String)
    /// It does not carry this required tag (the first one missing, in query order).
    case lacksTag(String)
    /// It already holds its bound of assigned tasks, ⌈(1+ε)·m·w/W⌉.
    case atLoadBound(assigned: Int, bound: Int)
    /// All its slots for the profile are busy.
    case noFreeSlots

    /// A stable machine word for JSON: `notAlive`, `lacksProfile`, `lacksTag`, `full`.
    public var code: String {
        switch self {
        case .notAlive: return "notAlive"
        case .lacksProfile: return "lacksProfile"
        case .lacksTag: return "lacksTag"
        case .atLoadBound, .noFreeSlots: return "full"
        }
    }

    /// One line for people, e.g. `full (4 of 4 assigned)`.
    public var description: String {
        switch self {
        case .notAlive: return "not alive"
        case .lacksProfile(let profile): return "lacks profile \(profile)"
        case .lacksTag(let tag): return "lacks tag \(tag)"
        case .atLoadBound(let assigned, let bound): return "full (\(assigned) of \(bound) assigned)"
        case .noFreeSlots: return "full (no free slots)"
        }
    }

    /// Whether the member could run the profile but is full.
    public var isFull: Bool { code == "full" }
}

/// A member passed over, and why.
public struct PlacementSkip: Equatable, Sendable {
    /// The member name.
    public var name: String
    /// Why it was passed over.
    public var reason: PlacementSkipReason

    /// A skip record.
    public init(name: String, reason: PlacementSkipReason) {
        self.name = name
        self.reason = reason
    }
}

/// The answer for one key: owner, replicas, and who was passed over.
public struct Placement: Equatable, Sendable {
    /// The member that runs the task; nil when no alive member is eligible and below its bound.
    public var owner: String?
    /// Members that store the task besides the owner, in clockwise order (never the owner).
    public var replicas: [String]
    /// Ineligible members (name order), then eligible members the walk passed because they were
    /// full (walk order).
    public var skipped: [PlacementSkip]

    /// A placement.
    public init(owner: String?, replicas: [String], skipped: [PlacementSkip] = []) {
        self.owner = owner
        self.replicas = replicas
        self.skipped = skipped
    }
}
