/// Log compaction (issue 9 §4: "snapshots and compaction so it does not grow forever"): once the
/// log has grown enough, the machine asks for `Directive.compactLog(snapshotRecords())`, which
/// replaces every record appended before it. The snapshot is built from what the log says (the
/// held records, which `commitLocally` keeps equal to the log's replay, and `loggedRoles`), so
/// `recover` rebuilds from it exactly what it would have rebuilt from the whole log.
///
/// Positions do not move: the snapshot stands for `0..<appended`, and `logCompacted(upTo:)` is a
/// `logSynced` for that position (`logCompacted`), so every answer or acceptance waiting for a
/// sync of a record before the snapshot is released by it: the snapshot holds that record's
/// effect, durably. Only the task layer writes the log today (every `append` is the machine's); a
/// layer that appends records of its own must add them to the snapshot too.
extension TaskMachine {
    /// What the log's role entries (`TaskRoleEntry`) say, as `recover` reads them back: kept up to
    /// date with every role entry appended, so a snapshot writes the same roles.
    struct LoggedRoles: Sendable {
        /// Task → the replica the last `replica` entry named (cleared by `dropped`).
        var replicas: [TaskID: String] = [:]
        /// Tasks whose last `passive`/`kept`/`dropped` entry was `passive`.
        var passive: Set<TaskID> = []

        /// Applies one entry, as recovery does.
        mutating func apply(_ entry: TaskRoleEntry) {
            switch entry.role {
            case .dropped: replicas[entry.id] = nil; passive.remove(entry.id)
            case .kept: passive.remove(entry.id)
            case .passive: passive.insert(entry.id)
            case .replica(let replica): replicas[entry.id] = replica
            }
        }
    }

    /// Appends a role entry (and notes it for the next snapshot).
    mutating func appendRole(_ id: TaskID, _ role: TaskRoleEntry.Role) {
        let entry = TaskRoleEntry(id: id, role: role)
        loggedRoles.apply(entry)
        append(entry.logRecord)
    }

    /// Records an owner must append after `id`'s own records in a snapshot: the durable parts of
    /// its finishing record, not committed yet. A terminal one is in the log as a pending finish
    /// (`TaskFinishingEntry`), which recovery resumes: the snapshot writes it again (over the
    /// committed record: the same events and progress), so a restart after a compaction resumes
    /// the finish too. A takeover waiting for its replica is in the log as its mark only, which
    /// the snapshot carries with the other marks (`snapshotMarks`).
    func pendingLogRecords(of id: TaskID) -> [LogRecord] {
        guard let finishing = owned[id]?.finishing, finishing.state.isTerminal, let record = records[id] else { return [] }
        return [TaskFinishingEntry(finishing: finishing, over: record).logRecord]
    }

    /// The records that, by themselves, rebuild through `recover` what the whole log would: every
    /// held record (`snapshotEntries`, ids in order), an owned task's pending
    /// records, then the roles that matter for a task not terminal (the replica the log names,
    /// `passive`, or `kept` for another owner's copy). Nothing for a dropped task. Never empty
    /// when the log is not: a node that held something comes back as restarted (`isRestart`).
    func snapshotRecords() -> [LogRecord] {
        var log: [LogRecord] = []
        for id in records.keys.sorted() {
            let record = records[id]!
            for entry in Self.snapshotEntries(of: record) { log.append(entry.logRecord) }
            if owned[id] != nil { log += pendingLogRecords(of: id) }
            for role in snapshotRoles(of: record) { log.append(TaskRoleEntry(id: id, role: role).logRecord) }
        }
        log += snapshotMarks()
        if log.isEmpty { log.append(TaskRoleEntry(id: Self.placeholderID, role: .dropped).logRecord) }
        return log
    }

    /// The role entries a snapshot writes for `record`: the logged replica and `passive` (what
    /// recovery reads), and `kept` for another owner's copy that is not passive. A terminal task
    /// needs none (recovery neither owns nor takes over one).
    func snapshotRoles(of record: TaskRecord) -> [TaskRoleEntry.Role] {
        guard !record.state.isTerminal else { return [] }
        var roles: [TaskRoleEntry.Role] = []
        if let replica = loggedRoles.replicas[record.id] { roles.append(.replica(replica)) }
        if loggedRoles.passive.contains(record.id) {
            roles.append(.passive)
        } else if record.progress.owner != name {
            roles.append(.kept)
        }
        return roles
    }

    /// The entries that rebuild `record` in a snapshot: one `created` when it holds the whole
    /// record (most finished tasks: accepted, queued, running, succeeded), else
    /// `TaskLogEntry.entries(rebuilding:)`. Replay gives the same record either way.
    static func snapshotEntries(of record: TaskRecord) -> [TaskLogEntry] {
        TaskLogEntry.fitsOneCreated(record) ? [.created(record)] : TaskLogEntry.entries(rebuilding: record)
    }

    /// How many records `snapshotRecords()` would hold, without encoding them.
    var snapshotRecordCount: Int {
        var count = 0
        for (id, record) in records {
            count &+= TaskLogEntry.fitsOneCreated(record) ? 1 : record.history.count &+ 1
            if owned[id] != nil { count &+= pendingLogRecords(of: id).count }
            count &+= snapshotRoles(of: record).count
        }
        count &+= takeoverMarks.count
        return max(count, 1)
    }

    /// Asks for a compaction when the log grew past the settings' bound, none is in flight and
    /// the disk takes writes; called by `take` after the input's appends, so the snapshot stands
    /// for all of them (and replaces the sync they asked for: `logCompacted` makes them durable).
    mutating func compactIfGrown() {
        guard !isCompacting, !isDiskFull, appendedSinceSnapshot > compactionCheckAt else { return }
        let bound = max(settings.logCompactionFloor, settings.logCompactionGrowth.multipliedReportingOverflow(by: snapshotRecordCount).partialValue)
        guard appendedSinceSnapshot > bound else {
            compactionCheckAt = bound
            return
        }
        forgetFinished()
        let snapshot = snapshotRecords()
        isCompacting = true
        appendedSinceSnapshot = 0
        compactionCheckAt = settings.logCompactionFloor
        needsSync = false
        stats.compactions &+= 1
        stats.snapshotRecords = UInt64(snapshot.count)
        pruneLoggedRoles()
        emit(.compactLog(snapshot))
    }

    /// After a snapshot, the role entries it did not carry are no longer in the log.
    mutating func pruneLoggedRoles() {
        loggedRoles.replicas = loggedRoles.replicas.filter { records[$0.key].map { !$0.state.isTerminal } ?? false }
        loggedRoles.passive = loggedRoles.passive.filter { records[$0].map { !$0.state.isTerminal } ?? false }
    }

    /// `logCompacted(upTo:)`: the snapshot is durable; what waited for a sync up to it is released.
    mutating func logCompacted(upTo position: LogPosition, peers: TaskPeers) {
        isCompacting = false
        logSynced(upTo: position, peers: peers)
    }

    /// The id of the one `dropped` entry an otherwise empty snapshot holds (no task has it: ids
    /// are hashes).
    static let placeholderID = TaskID(bytes: Bytes(repeating: 0, count: TaskID.byteCount))!
}
