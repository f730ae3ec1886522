/// Every size a capacity record may have, named once. Config validation and the wire decoder
/// check the same numbers, so a record a node may advertise is always one its peers accept.
public enum CapacityLimits {
    /// Agent profiles one node may advertise.
    public static let profilesMax = 16
    /// Tags on one profile, and node-level tags.
    public static let tagsMax = 8
    /// A profile name or a tag, in UTF-8 bytes (the member name rule: letters, digits, `-_.`).
    public static let nameBytesMax = 32
    /// Slots of one profile: 1 in a config, 0 only in hostile input (dropped).
    public static let slotsMax = 256
    /// The mesh version string (`MeshVersion.release`).
    public static let meshVersionBytesMax = 32
    /// Tasks queued on one node, as a record may claim it (larger values are clamped when read).
    public static let queueLengthMax: UInt64 = 1_000_000
    /// CPU load in hundredths (load average × 100); larger values are clamped.
    public static let cpuLoadHundredthsMax: UInt64 = 100_000
    /// One encoded record body: fits a datagram beside a ping and a few other updates.
    public static let recordBytesMax = 600
}

/// One agent profile as a capacity record advertises it: never its command, which stays local.
public struct CapacityProfile: Equatable, Sendable {
    /// The profile name (the name tasks ask for).
    public var name: String
    /// How many runs of this profile may run at once on the node (1…`CapacityLimits.slotsMax`).
    public var slots: Int
    /// How many of those slots are busy now (0 until tasks exist).
    public var busy: Int
    /// Tags of this profile, added to the node-level tags.
    public var tags: [String]

    /// A profile entry.
    public init(name: String, slots: Int, busy: Int = 0, tags: [String] = []) {
        self.name = name; self.slots = slots; self.busy = busy; self.tags = tags
    }
}

/// What one node can run and how loaded it is: gossiped like membership updates, with a version of
/// its own (never the incarnation: a change of load persists nothing and announces no new life).
///
/// Records order by `(incarnation, version)`: the incarnation is the producer's when it made the
/// record, so the first record of a restarted node (version 1 again) still beats its old life's.
public struct CapacityRecord: Equatable, Sendable {
    /// The member the record describes (its producer).
    public var name: String
    /// The producer's incarnation when it made the record.
    public var incarnation: UInt64
    /// Counts the producer's records within one incarnation, from 1.
    public var version: UInt64
    /// Profiles with their slots and busy slots, in the producer's config order.
    public var profiles: [CapacityProfile]
    /// Node-level tags (apply to every profile).
    public var tags: [String]
    /// Tasks waiting on the node (0 until tasks exist).
    public var queueLength: UInt64
    /// One-minute load average × 100.
    public var cpuLoadHundredths: UInt64
    /// Free memory and free disk of the data directory, as `ByteQuantity` codes (one byte each).
    public var memoryFreeCode: UInt8
    public var diskFreeCode: UInt8
    /// The producer's `MeshVersion.release`.
    public var meshVersion: String

    /// A record.
    public init(name: String, incarnation: UInt64, version: UInt64, profiles: [CapacityProfile] = [],
                tags: [String] = [], queueLength: UInt64 = 0, cpuLoadHundredths: UInt64 = 0,
                memoryFreeCode: UInt8 = 0, diskFreeCode: UInt8 = 0, meshVersion: String = MeshVersion.release) {
        self.name = name; self.incarnation = incarnation; self.version = version
        self.profiles = profiles; self.tags = tags; self.queueLength = queueLength
        self.cpuLoadHundredths = cpuLoadHundredths; self.memoryFreeCode = memoryFreeCode
        self.diskFreeCode = diskFreeCode; self.meshVersion = meshVersion
    }

    /// True when this record is newer than `other` (about the same member): newest version wins.
    public func isNewer(than other: CapacityRecord) -> Bool {
        (incarnation, version) > (other.incarnation, other.version)
    }

    /// True when everything but the ordering fields equals `other`'s: no new version is needed.
    public func hasSameContent(as other: CapacityRecord) -> Bool {
        var copy = other
        copy.incarnation = incarnation
        copy.version = version
        copy.name = name
        return copy == self
    }

    /// Slots over all profiles, and busy slots over all profiles.
    public var slotsTotal: Int { profiles.reduce(0) { $0 &+ $1.slots } }
    public var slotsBusy: Int { profiles.reduce(0) { $0 &+ $1.busy } }
}

/// A byte count in one byte: code c stands for about 2^(c/8) MiB (0 means under 1 MiB), so each
/// step is about 9 % and 255 codes reach 4 PiB. Small drifts of free memory or disk keep their code
/// and make no new record version.
public enum ByteQuantity {
    /// The code for `bytes`.
    public static func code(bytes: UInt64) -> UInt8 {
        let mebibytes = bytes >> 20
        guard mebibytes > 0 else { return 0 }
        // log2 in eighths: the top bit's position, then three more bits of the mantissa.
        let top = 63 - mebibytes.leadingZeroBitCount
        let fraction = top >= 3 ? (mebibytes >> UInt64(top - 3)) & 0x7 : (mebibytes << UInt64(3 - top)) & 0x7
        return UInt8(min(255, top * 8 + Int(fraction) + 1))
    }

    /// The smallest byte count with `code` (0 for code 0).
    public static func bytes(code: UInt8) -> UInt64 {
        guard code > 0 else { return 0 }
        let c = Int(code) - 1
        let top = c / 8, fraction = UInt64(c % 8)
        let mebibytes = top >= 3 ? (8 | fraction) << UInt64(top - 3) : (8 | fraction) >> UInt64(3 - top)
        return mebibytes.multipliedReportingOverflow(by: 1 << 20).overflow ? UInt64.max : mebibytes << 20
    }
}
