/// Timings and limits of capacity gossip, named once.
///
/// A node makes a new version of its record when its content changed, at most once per version
/// interval, and at least once per refresh interval (`refreshMultiplier` version intervals) even
/// when nothing changed, so every record's age says how current it is.
///
/// The version interval comes from a traffic budget. Every version of every record is sent about
/// L = `retransmitMultiplier · ⌈log10(n + 1)⌉` times by each of the n members, about
/// `transmitBytes` each, so a mesh whose n members all make a version every I seconds costs each
/// member n · L · transmitBytes / I bytes a second. Solving for I with that cost at
/// `bytesPerMemberPerSecond` gives the interval (never below `versionIntervalMin`): 2.4 s for
/// 5 members (refresh 4.8 s), 32 minutes for 1,000 (refresh 64 minutes). L = 16 at 1,000 members
/// leaves a node unreached by a version with a chance of about e^-16; 12 left one in 100,000. With every load changing all the time a member spends about
/// the budget; with nothing changing, half of it (refreshes); so a busy mesh costs at most about
/// twice an idle one, at every size.
public struct CapacitySettings: Sendable, Equatable {
    /// Shortest time between two versions of one node's record, whatever the budget allows.
    public var versionIntervalMin: Nanoseconds
    /// Bytes a second each member may spend on capacity records when every load keeps changing.
    public var bytesPerMemberPerSecond: Int
    /// What one transmission of one record costs on average: its ~35 bytes plus its share of a
    /// datagram's headers (measured in the simulator: 45 to 60 bytes).
    public var transmitBytes: Int
    /// The refresh interval, in version intervals.
    public var refreshMultiplier: Int
    /// Each capacity record is sent at most `retransmitMultiplier · ⌈log10(n + 1)⌉` times by each
    /// member (membership updates use `MembershipSettings.retransmitMultiplier`).
    public var retransmitMultiplier: Int

    /// Settings; the defaults suit every preset.
    public init(versionIntervalMin: Nanoseconds = .seconds(1), bytesPerMemberPerSecond: Int = 500,
                transmitBytes: Int = 60, refreshMultiplier: Int = 2, retransmitMultiplier: Int = 4) {
        self.versionIntervalMin = versionIntervalMin; self.bytesPerMemberPerSecond = bytesPerMemberPerSecond
        self.transmitBytes = transmitBytes; self.refreshMultiplier = refreshMultiplier
        self.retransmitMultiplier = retransmitMultiplier
    }

    /// The shortest time between two versions in a mesh of `members` (self included) where each
    /// version is sent `transmits` times by each member.
    public func versionInterval(members: Int, transmits: Int) -> Nanoseconds {
        let bytes = Double(max(1, members)) * Double(max(1, transmits)) * Double(max(1, transmitBytes))
        let seconds = bytes / Double(max(1, bytesPerMemberPerSecond))
        return max(versionIntervalMin, Nanoseconds.seconds(fraction: min(seconds, 1e9)))
    }

    /// The longest time without a new version in the same mesh.
    public func refreshInterval(members: Int, transmits: Int) -> Nanoseconds {
        versionInterval(members: members, transmits: transmits) * Nanoseconds(max(1, refreshMultiplier))
    }
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
