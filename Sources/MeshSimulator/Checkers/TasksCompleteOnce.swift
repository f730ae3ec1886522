import Foundation
import MeshCore
let debugTask = ProcessInfo.processInfo.environment["MESH_DEBUG_TASK"]

/// Safety of tasks, checked as each node's log records become durable (a record counts once its
/// sync completed; an unsynced record lost in a crash never happened):
/// - no task reaches a terminal state twice: across every node's synced history, at most one
///   terminal event per task (the owner's and the replica's copies of it are the same event);
/// - no stale attempt completes a task: a `succeeded` event names an attempt that really exited 0
///   on that node, and no later attempt of the task had started anywhere;
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
        if let d = debugTask {
            switch entry {
            case .created(let r) where r.id.description.hasPrefix(d): print("\(world.timestamp) \(world.nodes[node].name) created owner=\(r.progress.owner) e\(r.progress.ownerEpoch) \(r.history.map { "\($0.state)/\($0.attempt)/\($0.node)" })")
            case .progressed(let id, let p, let e) where id.description.hasPrefix(d): print("\(world.timestamp) \(world.nodes[node].name) progressed owner=\(p.owner) e\(p.ownerEpoch) \(p.state) \(e.map { "\($0.state)/\($0.attempt)/\($0.node) \($0.reason)" } ?? "-")")
            default: break
            }
        }
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
        let ran = workload.succeededRuns.contains("\(id)/\(event.attempt)/\(event.node)")
        let latest = workload.latestAttempt[id] ?? 0
        if !ran || event.attempt < latest {
            staleCompletions += 1
            world.violation("\(world.timestamp) task \(id) succeeded by attempt \(event.attempt) on \(event.node), which \(ran ? "is older than attempt \(latest)" : "never exited 0 there")")
        }
    }
}

