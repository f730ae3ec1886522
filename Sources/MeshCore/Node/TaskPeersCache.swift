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
    /// What the last `TaskPeers` was built from (member name, address, status, incarnation; record name,
    /// incarnation, version, member down), the value, and the placement version it carried.
    private var keptMembers: [(name: String, address: Address, status: MemberStatus, incarnation: UInt64)] = []
    private var keptRecords: [(name: String, incarnation: UInt64, version: UInt64, isMemberDown: Bool)] = []
    private var keptHasJoined = false
    private var keptPeers: TaskPeers?
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

    /// The next placement version: every `TaskPeers` built anew gets one, so rings kept for an
    /// earlier one are never used with other candidates.
    mutating func nextPlacementVersion() -> UInt64 {
        placementCounter &+= 1
        return placementCounter
    }

    /// The `TaskPeers` kept, when it was built from exactly these facts.
    func kept(members: [Member], entries: [CapacityBook.Entry], hasJoined: Bool) -> TaskPeers? {
        guard let keptPeers, hasJoined == keptHasJoined, members.count == keptMembers.count,
              entries.count == keptRecords.count else { return nil }
        for (member, kept) in zip(members, keptMembers) {
            guard member.status == kept.status, member.address == kept.address, member.name == kept.name,
                  member.incarnation == kept.incarnation else { return nil }
        }
        for (entry, kept) in zip(entries, keptRecords) {
            guard entry.record.version == kept.version, entry.record.incarnation == kept.incarnation,
                  entry.isMemberDown == kept.isMemberDown, entry.record.name == kept.name else { return nil }
        }
        return keptPeers
    }

    /// Keeps `peers`, built from these facts, for `kept`.
    mutating func keep(_ peers: TaskPeers, members: [Member], entries: [CapacityBook.Entry], hasJoined: Bool) {
        keptPeers = peers
        keptHasJoined = hasJoined
        keptMembers = members.map { ($0.name, $0.address, $0.status, $0.incarnation) }
        keptRecords = entries.map { ($0.record.name, $0.record.incarnation, $0.record.version, $0.isMemberDown) }
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
