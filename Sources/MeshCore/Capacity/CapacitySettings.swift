/// Timings and limits of capacity gossip, named once.
///
/// A node makes a new version of its record when its content changed, at most once per
/// `versionInterval`, and at least once per `refreshInterval` even when nothing changed (so every
/// record's age says how current it is). Both grow in proportion to the mesh beyond
/// `scaleMembers`, like push-pull: with every node's load changing all the time, the versions the
/// whole mesh makes per second, and so the bytes each member spends on them, stay flat as it grows.
public struct CapacitySettings: Sendable, Equatable {
    /// Shortest time between two versions of one node's record (mesh of `scaleMembers` or fewer).
    public var versionInterval: Nanoseconds
    /// Longest time without a new version (mesh of `scaleMembers` or fewer).
    public var refreshInterval: Nanoseconds
    /// Mesh size up to which the intervals hold as given; beyond, they grow with n / scaleMembers.
    public var scaleMembers: Int
    /// Each capacity record is sent at most `retransmitMultiplier · ⌈log10(n + 1)⌉` times by each
    /// member (membership updates use `MembershipSettings.retransmitMultiplier`).
    public var retransmitMultiplier: Int

    /// Settings; the defaults suit every preset.
    public init(versionInterval: Nanoseconds = .seconds(1), refreshInterval: Nanoseconds = .seconds(4),
                scaleMembers: Int = 8, retransmitMultiplier: Int = 3) {
        self.versionInterval = versionInterval; self.refreshInterval = refreshInterval
        self.scaleMembers = scaleMembers; self.retransmitMultiplier = retransmitMultiplier
    }

    /// How much the intervals are stretched for a mesh of `members` (self included).
    public func scale(members: Int) -> Int64 { Int64(max(1, members / max(1, scaleMembers))) }
}

/// What the shell measures about the machine, once a second: the load part of the capacity record.
public struct LocalLoad: Sendable, Equatable {
    /// One-minute load average × 100 (`/proc/loadavg`).
    public var cpuLoadHundredths: UInt64
    /// Available memory in bytes (`MemAvailable` in `/proc/meminfo`).
    public var memoryFreeBytes: UInt64
    /// Free bytes on the data directory's file system (`statvfs`), for unprivileged users.
    public var diskFreeBytes: UInt64

    /// A measurement.
    public init(cpuLoadHundredths: UInt64, memoryFreeBytes: UInt64, diskFreeBytes: UInt64) {
        self.cpuLoadHundredths = cpuLoadHundredths; self.memoryFreeBytes = memoryFreeBytes
        self.diskFreeBytes = diskFreeBytes
    }
}

/// What this node advertises besides its load: its profiles (never their commands) and tags.
public struct LocalCapacity: Sendable, Equatable {
    /// Profiles in config order, busy slots 0.
    public var profiles: [CapacityProfile]
    /// Node-level tags.
    public var tags: [String]

    /// Capacity with no profile: the node still routes and stores tasks.
    public init(profiles: [CapacityProfile] = [], tags: [String] = []) {
        self.profiles = profiles; self.tags = tags
    }
}

extension LocalCapacity {
    /// Why these profiles and tags cannot be advertised, as one line; nil when they can. The same
    /// limits the wire decoder applies, so a record this node makes is one every peer accepts.
    public func validationError(name: String) -> String? {
        if profiles.count > CapacityLimits.profilesMax {
            return "at most \(CapacityLimits.profilesMax) profiles (got \(profiles.count))"
        }
        if let problem = Self.tagsError(tags, owner: "node") { return problem }
        var seen: [String] = []
        for p in profiles {
            if let problem = CapacityLimits.labelError(p.name, what: "profile name") { return problem }
            if seen.contains(p.name) { return "profile '\(p.name)' is defined twice" }
            seen.append(p.name)
            if p.slots < 1 || p.slots > CapacityLimits.slotsMax {
                return "profile '\(p.name)': slots must be 1 to \(CapacityLimits.slotsMax) (got \(p.slots))"
            }
            if let problem = Self.tagsError(p.tags, owner: "profile '\(p.name)'") { return problem }
        }
        let record = CapacityRecord(name: name, incarnation: WireLimits.counterMax, version: WireLimits.counterMax,
                                    profiles: profiles, tags: tags, queueLength: CapacityLimits.queueLengthMax,
                                    cpuLoadHundredths: CapacityLimits.cpuLoadHundredthsMax)
        let bytes = CapacityCodec.bodyBytes(record)
        if bytes > CapacityLimits.recordBytesMax {
            return "profiles and tags take \(bytes) bytes on the wire, more than \(CapacityLimits.recordBytesMax): use fewer or shorter ones"
        }
        return nil
    }

    /// Why `tags` (of `owner`, for the message) cannot be advertised; nil when they can.
    public static func tagsError(_ tags: [String], owner: String) -> String? {
        if tags.count > CapacityLimits.tagsMax { return "\(owner): at most \(CapacityLimits.tagsMax) tags (got \(tags.count))" }
        for (i, tag) in tags.enumerated() {
            if let problem = CapacityLimits.labelError(tag, what: "\(owner) tag") { return problem }
            if tags[..<i].contains(tag) { return "\(owner): tag '\(tag)' is listed twice" }
        }
        return nil
    }
}
