/// What `NodeInstance.taskPeers()` derives from each capacity record (its placement candidate,
/// profile names and assigned load), kept until the record changes: the task machine asks for
/// its peers on every task input, and rebuilding the per-profile tables of every record each
/// time was a seventh of a busy node's CPU. A record is identified by (name, incarnation,
/// version): a new version is a new record. The cache changes no answer, only how fast it comes.
struct TaskPeersCache: Sendable {
    struct Derived: Sendable {
        var incarnation: UInt64
        var version: UInt64
        /// The candidate with `isAlive` true; the caller sets it from membership each time.
        var candidate: PlacementCandidate
        var profileNames: [String]
        var assigned: Int
    }

    private var derived: [String: Derived] = [:]
    /// The names of the records `advertised` was built from, in book order, and the union of their profiles.
    private var advertisedFrom: [String] = []
    private var advertisedStamps: [UInt64] = []
    private(set) var advertised: Set<String> = []
    /// What the placement candidates were built from last time (names; per record incarnation
    /// and version, per candidate alive or not), and the version it was given.
    private var placementNames: [String] = []
    private var placementStamps: [UInt64] = []
    private var placementCounter: UInt64 = 0
    /// The replica ring last built, and the alive names it was built from.
    private var replicaRingNames: [String] = []
    private var replicaRingKept: ReplicaRing?

    /// The derived parts of `record`, built now only when it is not the one seen last time.
    mutating func derive(_ record: CapacityRecord) -> Derived {
        if let known = derived[record.name], known.incarnation == record.incarnation, known.version == record.version {
            return known
        }
        var slots: [String: Int] = [:], busy: [String: Int] = [:], tags: [String: [String]] = [:]
        for profile in record.profiles {
            slots[profile.name] = profile.slots
            busy[profile.name] = profile.busy
            tags[profile.name] = profile.tags
        }
        let made = Derived(incarnation: record.incarnation, version: record.version,
                           candidate: PlacementCandidate(name: record.name, slots: slots, busySlots: busy, tags: record.tags,
                                                         profileTags: tags),
                           profileNames: record.profiles.map(\.name),
                           assigned: record.slotsBusy &+ Int(clamping: record.queueLength))
        derived[record.name] = made
        return made
    }

    /// The union of the profiles of `records` (derived already), rebuilt only when one changed.
    mutating func advertisedProfiles(of records: [CapacityRecord]) -> Set<String> {
        let names = records.map(\.name)
        let stamps = records.flatMap { [$0.incarnation, $0.version] }
        if names == advertisedFrom && stamps == advertisedStamps { return advertised }
        var union = Set<String>()
        for name in names { for profile in derived[name]?.profileNames ?? [] { union.insert(profile) } }
        advertisedFrom = names
        advertisedStamps = stamps
        advertised = union
        if derived.count > names.count {
            derived = derived.filter { names.contains($0.key) }   // forgotten members' records
        }
        return union
    }

    /// A number that changes whenever `candidates` (built from `entries` and membership) may
    /// differ from the last call's: every rebuilt record is a new version, and so is a candidate
    /// that became alive or not. Before this node has a record of its own it changes every time.
    mutating func placementVersion(of entries: [CapacityBook.Entry], alive candidates: [PlacementCandidate],
                                   ownRecordMissing: Bool) -> UInt64 {
        var names: [String] = [], stamps: [UInt64] = []
        names.reserveCapacity(entries.count &+ candidates.count)
        stamps.reserveCapacity(2 &* entries.count &+ candidates.count)
        for entry in entries {
            names.append(entry.record.name)
            stamps.append(entry.record.incarnation)
            stamps.append(entry.record.version)
        }
        for candidate in candidates {
            names.append(candidate.name)
            stamps.append(candidate.isAlive ? 1 : 0)
        }
        if ownRecordMissing || names != placementNames || stamps != placementStamps {
            placementCounter &+= 1
            placementNames = names
            placementStamps = stamps
        }
        return placementCounter
    }

    /// The replica ring over `aliveNames` and `selfName`, rebuilt only when the names changed.
    mutating func replicaRing(aliveNames: [String], selfName: String) -> ReplicaRing {
        if let kept = replicaRingKept, aliveNames == replicaRingNames { return kept }
        let ring = TaskPeers.replicaRing(aliveNames: aliveNames, selfName: selfName)
        replicaRingNames = aliveNames
        replicaRingKept = ring
        return ring
    }
}
