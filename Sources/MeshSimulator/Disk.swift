import MeshCore

/// How a simulated disk behaves (scenario key `"disk"`).
public struct DiskModel: Sendable, Equatable {
    /// A sync takes `syncLatency ± syncJitter` (uniform) from the moment the disk starts it; syncs
    /// run one at a time, in the order issued.
    public var syncLatency: Nanoseconds = .milliseconds(2)
    /// See `syncLatency`.
    public var syncJitter: Nanoseconds = .milliseconds(1)
    /// Chance that a crash with unsynced bytes leaves a torn record at the end of the file.
    public var tornWriteProbability: Double = 0.5

    /// The default model: 2 ± 1 ms syncs, a torn record after half the crashes that lose data.
    public init() {}
}

/// One node's disk, holding its write-ahead log in `LogRecordFormat`.
///
/// Appends are buffered; `sync` makes every record appended so far durable when it completes,
/// after a latency drawn from the model. A crash loses everything unsynced and may tear the record
/// after the last durable one (a prefix of its bytes, or all of its bytes with the last ones
/// stale, reaches the file). Faults a scenario injects: EIO (the next sync fails and the unsynced
/// records are gone, as Linux drops dirty pages after a failed fsync) and disk-full (appends are
/// refused until a time).
struct SimDisk {
    /// What a sync turned out to be, when it completed.
    enum SyncOutcome: Equatable {
        /// Records `0..<upTo` are durable.
        case synced(upTo: LogPosition)
        /// EIO: nothing more became durable and every unsynced record is gone; the log now ends
        /// at `keptUpTo`, the durable records.
        case failed(keptUpTo: LogPosition)
    }

    /// What a crash did to the file.
    struct CrashDamage: Equatable {
        /// Appended records that were not durable and are gone.
        var recordsLost: Int
        /// Why the file now ends in a torn record, if it does (what a scan must find).
        var tear: LogTailDamage?
        /// A compaction was in flight: the old log was kept.
        var compactionVoided = false
    }

    /// What recovery found in the file after a crash, before cutting the torn tail.
    struct Recovery: Equatable {
        /// The records without a snapshot header, snapshot records first.
        var records: [LogRecord]
        /// The position after the last record (a snapshot's base plus the records after it).
        var position: LogPosition
        /// The file ended in a damaged record, which recovery cut off.
        var tornTail: Bool

        init(records: [LogRecord], position: LogPosition? = nil, tornTail: Bool) {
            self.records = records
            self.position = position ?? LogPosition(records.count)
            self.tornTail = tornTail
        }
    }

    let model: DiskModel
    /// The file's bytes that survive a crash.
    private(set) var durable: Bytes = []
    /// Records appended but not yet durable, encoded, oldest first.
    private var unsynced: [Bytes] = []
    /// Each issued sync (its number, and the position it makes durable), in completion order; a
    /// compaction is one too, with the snapshot it writes.
    private var syncsInFlight: [(sync: Int, upTo: LogPosition, snapshot: [LogRecord]?)] = []
    private var syncsIssued = 0
    /// When the last issued sync completes: the next one starts no earlier.
    private var busyUntil: Int64 = 0
    /// How many records `durable` holds.
    private(set) var durableRecordCount: LogPosition = 0
    /// Set by an injected EIO: the next sync to complete fails.
    var failsNextSync = false
    /// Appends are refused until this instant (an injected disk-full).
    var fullUntil: Int64 = 0

    init(model: DiskModel) { self.model = model }

    /// The position after the last appended record: durable and unsynced alike.
    var position: LogPosition { durableRecordCount + LogPosition(unsynced.count) }

    /// Records appended and not yet durable.
    var unsyncedRecordCount: Int { unsynced.count }

    /// True while a sync is under way.
    var isSyncing: Bool { !syncsInFlight.isEmpty }

    /// Buffers `record`; its position (the record count including it), or nil when the disk is full.
    mutating func append(_ record: LogRecord, now: Int64) -> LogPosition? {
        guard now >= fullUntil else { return nil }
        unsynced.append(LogRecordFormat.encode(record))
        return position
    }

    /// Starts a sync of every record appended so far: its number and the instant it completes,
    /// when the simulation must call `completeSync(_:)` with that number.
    mutating func sync(now: Int64, using random: inout SeededGenerator) -> (sync: Int, completesAt: Int64) {
        issue(nil, now: now, using: &random)
    }

    /// Queues a sync, or a compaction writing `snapshot`, behind those issued before it.
    private mutating func issue(_ snapshot: [LogRecord]?, now: Int64, using random: inout SeededGenerator) -> (sync: Int, completesAt: Int64) {
        let latency = model.syncLatency - model.syncJitter + random.nanoseconds(0, 2 * model.syncJitter)
        busyUntil = max(now, busyUntil) + max(0, latency)
        syncsIssued += 1
        syncsInFlight.append((syncsIssued, position, snapshot))
        return (syncsIssued, busyUntil)
    }

    /// The snapshot sync number `sync` writes, if it is a compaction still in flight.
    func snapshot(of sync: Int) -> [LogRecord]? {
        syncsInFlight.first { $0.sync == sync }?.snapshot
    }

    /// Sync number `sync` completes; nil when it is void (a crash or a failed sync before it
    /// dropped what it was writing).
    mutating func completeSync(_ sync: Int) -> SyncOutcome? {
        guard let first = syncsInFlight.first, first.sync == sync else { return nil }
        let upTo = first.upTo
        syncsInFlight.removeFirst()
        if failsNextSync {
            failsNextSync = false
            unsynced = []
            syncsInFlight = []
            return .failed(keptUpTo: durableRecordCount)
        }
        if let snapshot = first.snapshot { return replace(with: snapshot, base: upTo) }
        // A compaction since this sync was issued may already have made more durable.
        let count = Int(upTo) - Int(durableRecordCount)
        guard count > 0 else { return .synced(upTo: upTo) }
        for record in unsynced.prefix(count) { durable += record }
        unsynced.removeFirst(count)
        durableRecordCount = upTo
        return .synced(upTo: upTo)
    }

    /// The process dies: every unsynced record is lost, and with the model's probability the first
    /// of them is torn into the file (a strict prefix of its bytes, or every byte with the last
    /// few stale). Draws from `random` only when there was something unsynced.
    mutating func crash(using random: inout SeededGenerator) -> CrashDamage {
        defer { unsynced = []; syncsInFlight = []; busyUntil = 0 }
        let voided = syncsInFlight.contains { $0.snapshot != nil }
        guard let first = unsynced.first else { return CrashDamage(recordsLost: 0, tear: nil, compactionVoided: voided) }
        var damage = CrashDamage(recordsLost: unsynced.count, tear: nil, compactionVoided: voided)
        guard random.unit() < model.tornWriteProbability else { return damage }
        let kept = 1 + random.below(first.count - 1)
        durable.append(contentsOf: first[..<kept])
        if random.below(2) == 0 || first[kept...].allSatisfy({ $0 == 0 }) {
            damage.tear = .truncated
        } else {
            // The whole length reached the file, the last sectors still hold zeros.
            durable.append(contentsOf: Bytes(repeating: 0, count: first.count - kept))
            damage.tear = .badChecksum
        }
        return damage
    }

    /// Reads the file after a restart: the whole records, and whether it ended in a torn one,
    /// which is cut off so that the next append follows the last whole record.
    mutating func recover() -> Recovery {
        let scan = LogRecordFormat.scan(durable)
        if scan.validByteCount < durable.count { durable.removeLast(durable.count - scan.validByteCount) }
        // The simulator writes only whole snapshot headers, so a scanned log always reads back.
        let log = RecoveredLog(scanned: scan.records) ?? RecoveredLog(records: scan.records, position: scan.position)
        durableRecordCount = log.position
        return Recovery(records: log.records, position: log.position, tornTail: scan.tailDamage != nil)
    }

    /// Starts replacing the whole log with a snapshot standing for every record appended so far,
    /// as the runtime does (a new file written, fsynced and renamed over the old one). It runs in
    /// turn with the syncs (after those issued before it, before those issued after it) and takes
    /// as long as one; until it completes (`completeSync` with its number) the old log is the
    /// file, so a crash before then keeps the old log and loses what was unsynced in it.
    /// Returns its number, its base position and when it completes.
    mutating func compact(_ records: [LogRecord], now: Int64, using random: inout SeededGenerator) -> (sync: Int, base: LogPosition, completesAt: Int64) {
        let (sync, completesAt) = issue(records, now: now, using: &random)
        return (sync, position, completesAt)
    }

    /// A compaction completes: atomic and durable, the snapshot supersedes every record appended
    /// before it (durable or not); those appended after it stay unsynced, after the snapshot.
    private mutating func replace(with records: [LogRecord], base: LogPosition) -> SyncOutcome {
        durable = LogRecordFormat.encode(LogSnapshotHeader(basePosition: base, recordCount: UInt64(records.count)).logRecord)
        for record in records { durable += LogRecordFormat.encode(record) }
        unsynced.removeFirst(min(unsynced.count, Int(base) - Int(durableRecordCount)))
        durableRecordCount = base
        return .synced(upTo: base)
    }
}
