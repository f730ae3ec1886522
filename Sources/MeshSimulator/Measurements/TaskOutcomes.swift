import MeshCore

/// The tasks layer's figures, and its liveness: once the faults stop, every accepted task reaches
/// a terminal state on a running node.
final class TaskOutcomes: Measurement, LivenessChecker {
    /// The figures this measurement adds to `SimulationReport.layerFigures`, in order.
    static let figureNames = [
        "tasksSubmitted", "tasksAccepted", "tasksAcceptedSingleCopy", "tasksRefused", "tasksLost",
        "tasksFinishedTwice", "staleResults", "staleCompletions", "tasksSucceeded", "tasksFailed",
        "tasksCancelled", "tasksPending", "attemptsStarted", "reRuns", "attemptsLost", "takeovers",
        "handovers", "replicasReplaced", "logCompactions", "logCompactionsVoided", "cancelsSent", "cancelsAcknowledged", "cancelsFinished", "cancelsCancelling",
        "cancelsRefused", "cancelsLost", "cancelClaimsWrong",
    ]

    let safety: TasksCompleteOnce
    /// Task counters of nodes' earlier lives (a crash ends a life's counters).
    private var retired = TaskStats()
    /// What the last liveness check found still open, for the failure message.
    private var lastOpen = ""

    init(safety: TasksCompleteOnce) { self.safety = safety }

    func nodeCrashed(_ node: Int, incarnation: UInt64, world: Simulation) {}

    /// Crashes that came while a compaction was in flight (the node recovered the old log).
    private var compactionsVoided = 0

    func diskCrashed(_ damage: SimDisk.CrashDamage, node: Int, world: Simulation) {
        if damage.compactionVoided { compactionsVoided += 1 }
    }

    /// Adds the counters of a life that is ending (the simulation calls it before a crash).
    func retire(_ stats: TaskStats) { retired = Self.sum(retired, stats) }

    static func sum(_ a: TaskStats, _ b: TaskStats) -> TaskStats {
        var s = a
        s.accepted &+= b.accepted; s.forwarded &+= b.forwarded; s.refused &+= b.refused; s.duplicates &+= b.duplicates
        s.attemptsStarted &+= b.attemptsStarted; s.attemptsLost &+= b.attemptsLost; s.staleResults &+= b.staleResults
        s.takeovers &+= b.takeovers; s.handovers &+= b.handovers; s.replicasReplaced &+= b.replicasReplaced
        s.fenced &+= b.fenced; s.badMessages &+= b.badMessages; s.compactions &+= b.compactions
        return s
    }

    /// The newest copy of `id` on a running node.
    static func newest(_ id: TaskID, in world: Simulation) -> TaskRecord? {
        var best: TaskRecord?
        for i in world.nodes.indices where world.isRunning(i) {
            guard let record = world.nodes[i].instance!.tasks.records[id] else { continue }
            if let held = best, (held.progress.ownerEpoch, held.state.isTerminal ? 1 : 0, held.history.count)
                >= (record.progress.ownerEpoch, record.state.isTerminal ? 1 : 0, record.history.count) { continue }
            best = record
        }
        return best
    }

    func holds(in world: Simulation) -> Bool {
        guard let workload = world.taskWorkload else { return true }
        let open = workload.accepted.filter { safety.terminal[$0] == nil }
        if let first = open.first {
            lastOpen = "\(open.count) open, e.g. \(first): " + world.nodes.indices.compactMap { i in
                world.nodes[i].instance.map { "\(world.nodes[i].name) \($0.tasks.describe(first))" }
            }.joined(separator: " | ")
        }
        return open.isEmpty
    }

    func failure(boundSeconds: String) -> String {
        "not every accepted task reached a terminal state within \(boundSeconds) s after the faults stopped (\(lastOpen))"
    }

    /// `cancelsSent` … `cancelClaimsWrong`: what the cancels got back, `cancelsLost` (answered
    /// cancelled, ended otherwise: must be 0) and `cancelClaimsWrong` ("already finished" naming
    /// another state than the task's end: must be 0).
    func cancelFigures(_ world: Simulation) -> [Double] {
        guard let counts = world.taskWorkload?.cancelCounts else { return Array(repeating: 0, count: 7) }
        let broken = world.cancelsBroken(terminal: safety.terminal)
        return [Double(counts.sent), Double(counts.acknowledged), Double(counts.finished), Double(counts.cancelling),
                Double(counts.refused), Double(broken.lost), Double(broken.wrongClaims)]
    }

    func report(into report: inout SimulationReport, world: Simulation) {
        guard let workload = world.taskWorkload else { return }
        var stats = retired
        for i in world.nodes.indices { if let instance = world.nodes[i].instance { stats = Self.sum(stats, instance.tasks.stats) } }
        var succeeded = 0, failed = 0, cancelled = 0, pending = 0, lost = 0
        for id in workload.accepted {
            let onDisk = safety.syncedIDs.values.contains { $0.contains(id) }
            guard let record = Self.newest(id, in: world) else {
                if !onDisk || safety.terminal[id] == nil { lost += 1 }
                continue
            }
            switch safety.terminal[id]?.state ?? .task(record.state) {
            case .task(.succeeded): succeeded += 1
            case .task(.failed), .task(.timedOut): failed += 1
            case .task(.cancelled): cancelled += 1
            default: pending += 1
            }
        }
        let distinctStarted = workload.latestAttempt.count
        let values: [Double] = [
            Double(workload.submitted), Double(workload.accepted.count), Double(workload.singleCopy),
            Double(workload.refused.values.reduce(0, +)), Double(lost), Double(safety.finishedTwice),
            Double(stats.staleResults), Double(safety.staleCompletions), Double(succeeded), Double(failed),
            Double(cancelled), Double(pending), Double(workload.agentsStarted), Double(workload.agentsStarted - distinctStarted),
            Double(stats.attemptsLost), Double(stats.takeovers), Double(stats.handovers), Double(stats.replicasReplaced),
            Double(stats.compactions), Double(compactionsVoided),
        ] + cancelFigures(world)
        report.layerFigures += zip(Self.figureNames, values).map { (name: $0.0, value: $0.1) }
    }
}

