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
}
