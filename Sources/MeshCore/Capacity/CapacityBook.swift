/// The capacity records one node holds: its own, and the newest it heard of every member.
///
/// A value with no I/O. Membership carries records (gossip and push-pull) and tells the book when a
/// member goes down, comes back or is forgotten; the book decides what is newer and when this
/// node's record needs a new version. Records are kept in a deterministic order (insertion order
/// with swap-removal); nothing iterates a dictionary.
public struct CapacityBook: Sendable {
    /// One member's record as this node holds it.
    public struct Entry: Sendable, Equatable {
        /// The newest record heard.
        public var record: CapacityRecord
        /// When this node took that version (for self: when it made it).
        public var receivedAt: Instant
        /// The member is dead or left: the record is kept, marked, until the member is forgotten.
        public var isMemberDown: Bool

        /// An entry.
        public init(record: CapacityRecord, receivedAt: Instant, isMemberDown: Bool) {
            self.record = record; self.receivedAt = receivedAt; self.isMemberDown = isMemberDown
        }
    }

    /// What happened to records, counted.
    public struct Stats: Sendable, Equatable {
        /// Versions of this node's record made.
        public var versionsMade: UInt64 = 0
        /// Records taken because they were newer than the one held.
        public var recordsTaken: UInt64 = 0
        /// Records no newer than the one held (ordinary gossip repeats).
        public var recordsStale: UInt64 = 0
        /// Records about members this node does not know yet, taken (gossip may bring a record
        /// before the member's alive) while fewer than `unknownMembersMax` are held, else dropped.
        public var recordsOfUnknownMembers: UInt64 = 0
        /// Records of unknown members dropped because `unknownMembersMax` were held.
        public var recordsOfUnknownMembersDropped: UInt64 = 0
        /// Records about this node made by someone else: dropped.
        public var recordsAboutSelf: UInt64 = 0
    }

    /// Records of members this node does not know that it holds at most; they are forgotten when
    /// the member is still unknown a retention period later (`forgetUnknown`).
    public static let unknownMembersMax = 1024

    public let settings: CapacitySettings
    /// This node's name.
    public let name: String
    /// What the next version of this node's record holds.
    public private(set) var desired: CapacityRecord
    /// When this node last made a version; nil before the first.
    public private(set) var lastVersionAt: Instant?
    public internal(set) var stats = Stats()
    private var entries: [Entry] = []
    /// Records held of members not known when they arrived, as of the last `forgetUnknown`
    /// (an upper bound: some may have become known since).
    private var unknownCount = 0
    private var indexByName: [String: Int32] = [:]

    /// A book for node `name` advertising `local`.
    public init(name: String, local: LocalCapacity, settings: CapacitySettings) {
        self.name = name
        self.settings = settings
        desired = CapacityRecord(name: name, incarnation: 0, version: 0, profiles: local.profiles, tags: local.tags)
    }

    /// Every record held, this node's first (once it made one), then in the order they arrived.
    public var entriesInOrder: [Entry] { entries }
    /// The records for a push-pull: this node's and every member's.
    public var records: [CapacityRecord] { entries.map(\.record) }
    /// The entry for `member`, if any.
    public func entry(_ member: String) -> Entry? { indexByName[member].map { entries[Int($0)] } }
    /// This node's current record, once it made one.
    public var ownRecord: CapacityRecord? { entry(name)?.record }

    /// Takes a new measurement of the machine; the next version will carry it.
    public mutating func setLocalLoad(_ load: LocalLoad) {
        desired.cpuLoadHundredths = min(load.cpuLoadHundredths, CapacityLimits.cpuLoadHundredthsMax)
        desired.memoryFreeCode = ByteQuantity.code(bytes: load.memoryFreeBytes)
        desired.diskFreeCode = ByteQuantity.code(bytes: load.diskFreeBytes)
    }

    /// Takes this node's task load: busy slots per profile and tasks waiting; the next version
    /// carries it (placement reads busy + queue as a member's assigned load). True when it changed.
    @discardableResult
    public mutating func setTaskLoad(busy: [String: Int], queueLength: Int) -> Bool {
        var changed = false
        for index in desired.profiles.indices {
            let value = min(max(busy[desired.profiles[index].name] ?? 0, 0), desired.profiles[index].slots)
            if desired.profiles[index].busy != value { desired.profiles[index].busy = value; changed = true }
        }
        let queue = UInt64(min(max(queueLength, 0), Int(CapacityLimits.queueLengthMax)))
        if desired.queueLength != queue { desired.queueLength = queue; changed = true }
        return changed
    }

    /// When the next version is due in a mesh of `members` where each version is sent `transmits`
    /// times by each member: as soon as the rate limit allows when the content changed, else when
    /// the refresh interval runs out; at once before the first.
    public func nextVersionAt(members: Int, transmits: Int) -> Instant {
        guard let last = lastVersionAt, let own = ownRecord else { return .zero }
        if !desired.hasSameContent(as: own) { return last + settings.versionInterval(members: members, transmits: transmits) }
        return last + settings.refreshInterval(members: members, transmits: transmits)
    }

    /// Makes the next version of this node's record, at `incarnation`, and holds it.
    public mutating func makeVersion(now: Instant, incarnation: UInt64) -> CapacityRecord {
        var record = desired
        let previous = ownRecord
        record.incarnation = incarnation
        record.version = previous.map { $0.version < WireLimits.counterMax ? $0.version + 1 : $0.version } ?? 1
        lastVersionAt = now
        stats.versionsMade &+= 1
        store(Entry(record: record, receivedAt: now, isMemberDown: false))
        return record
    }

    /// Takes `record` from the wire when it is newer than the one held; true when taken (the
    /// caller passes it on). `memberIsDown` is nil for a member this node does not know.
    public mutating func take(_ record: CapacityRecord, now: Instant, memberIsDown: Bool?) -> Bool {
        guard record.name != name else { stats.recordsAboutSelf &+= 1; return false }
        let held = entry(record.name)
        if let held, !record.isNewer(than: held.record) {
            stats.recordsStale &+= 1
            return false
        }
        if memberIsDown == nil && held == nil {
            guard unknownCount < Self.unknownMembersMax else { stats.recordsOfUnknownMembersDropped &+= 1; return false }
            unknownCount += 1
            stats.recordsOfUnknownMembers &+= 1
        }
        stats.recordsTaken &+= 1
        store(Entry(record: record, receivedAt: now, isMemberDown: memberIsDown ?? false))
        return true
    }

    /// Forgets records of members `isKnown` does not know that arrived before `before`.
    public mutating func forgetUnknown(before: Instant, isKnown: (String) -> Bool) {
        var stale: [String] = []
        var unknown = 0
        for entry in entries where entry.record.name != name && !isKnown(entry.record.name) {
            if entry.receivedAt < before { stale.append(entry.record.name) } else { unknown += 1 }
        }
        for member in stale { forget(member) }
        unknownCount = unknown
    }

    /// Installs records as if gossip had already spread them (simulations that start converged):
    /// this node's own, if among them, counts as made at `ownMadeAt`.
    mutating func installConverged(_ records: [CapacityRecord], now: Instant, ownMadeAt: Instant) {
        for record in records where entry(record.name) == nil {
            store(Entry(record: record, receivedAt: record.name == name ? ownMadeAt : now, isMemberDown: false))
            if record.name == name { lastVersionAt = ownMadeAt }
        }
    }

    /// The member went down (dead, left) or came back: its record is marked, never dropped.
    public mutating func memberChanged(_ member: String, isDown: Bool) {
        guard let i = indexByName[member] else { return }
        entries[Int(i)].isMemberDown = isDown
    }

    /// The member was forgotten: so is its record.
    public mutating func forget(_ member: String) {
        guard let i = indexByName.removeValue(forKey: member).map(Int.init) else { return }
        let last = entries.count - 1
        if i != last {
            entries[i] = entries[last]
            indexByName[entries[i].record.name] = Int32(i)
        }
        entries.removeLast()
    }

    private mutating func store(_ entry: Entry) {
        if let i = indexByName[entry.record.name] {
            entries[Int(i)] = entry
        } else {
            indexByName[entry.record.name] = Int32(entries.count)
            entries.append(entry)
        }
    }
}
