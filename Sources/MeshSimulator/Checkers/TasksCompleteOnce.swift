import MeshCore

/// Safety of tasks, checked as each node's log records become durable (a record counts once its
/// sync completed; an unsynced record lost in a crash never happened):
/// - no task reaches a terminal state twice: across every node's synced history, at most one
///   terminal event per task (the owner's and the replica's copies of it are the same event);
/// - no stale attempt completes a task: a `succeeded` event names an attempt that really exited 0
///   on that node (and, by the first check, no other attempt completed it);
/// - every terminal event is in a history (it is only ever written as one).
final class TasksCompleteOnce: SafetyChecker {
    /// Per node, task records appended and not yet synced, with their positions.
    private var unsynced: [Int: [(position: LogPosition, entry: TaskLogEntry)]] = [:]
    /// The terminal event of every task that has one.
    private(set) var terminal: [TaskID: TaskEvent] = [:]
    /// Per node, the tasks its synced log holds (created or stored there).
    private(set) var syncedIDs: [Int: Set<TaskID>] = [:]
    private(set) var finishedTwice = 0
    private(set) var staleCompletions = 0

    func logAppended(_ record: LogRecord, position: LogPosition?, node: Int, world: Simulation) {
        guard let position, (0x20...0x2F).contains(record.kind) else { return }
        guard let entry = (try? TaskLogEntry(record)) ?? nil else { return }
        unsynced[node, default: []].append((position, entry))
    }

    func logSyncCompleted(_ outcome: SimDisk.SyncOutcome, node: Int, world: Simulation) {
        switch outcome {
        case .synced(let upTo):
            let waiting = unsynced[node] ?? []
            let split = waiting.firstIndex { $0.position > upTo } ?? waiting.count
            for item in waiting[..<split] { synced(item.entry, node: node, world: world) }
            unsynced[node] = Array(waiting[split...])
        case .failed(let kept):
            unsynced[node] = (unsynced[node] ?? []).filter { $0.position <= kept }
        }
    }

    func diskCrashed(_ damage: SimDisk.CrashDamage, node: Int, world: Simulation) { unsynced[node] = [] }

    private func synced(_ entry: TaskLogEntry, node: Int, world: Simulation) {
        switch entry {
        case .created(let record):
            syncedIDs[node, default: []].insert(record.id)
            for event in record.history { check(event, id: record.id, world: world) }
        case .progressed(let id, _, let event):
            if let event { check(event, id: id, world: world) }
        }
    }

    private func check(_ event: TaskEvent, id: TaskID, world: Simulation) {
        guard case .task(let state) = event.state, state.isTerminal else { return }
        if let first = terminal[id] {
            if first != event {
                finishedTwice += 1
                world.violation("\(world.timestamp) task \(id) reached a terminal state twice: \(first.state) by \(first.node) attempt \(first.attempt), then \(event.state) by \(event.node) attempt \(event.attempt)")
            }
            return
        }
        terminal[id] = event
        guard state == .succeeded, let workload = world.taskWorkload else { return }
        // Attempt numbers of different epochs are not ordered (a fenced-off owner may have started
        // a higher one): the check is that the completing attempt really ran and exited 0 there;
        // that it was not fenced off is what the single-terminal check above proves.
        if !workload.succeededRuns.contains("\(id)/\(event.attempt)/\(event.node)") {
            staleCompletions += 1
            world.violation("\(world.timestamp) task \(id) succeeded by attempt \(event.attempt) on \(event.node), which never exited 0 there")
        }
    }
}

