import MeshCore

/// Hooks the simulated world calls as things happen, in the order they happen. A checker or a
/// measurement implements the hooks it needs; every hook does nothing by default.
///
/// `world` is the running simulation: hooks may read its state (who is up, who can reach whom,
/// the clock) and report a breach with `world.violation(_:)`, but never change it, never draw from
/// its generator and never touch its trace, so that adding a checker cannot change a run.
protocol WorldObserver: AnyObject {
    /// Node `node` emitted `event` (a `MeshEvent` directive).
    func nodeEmitted(_ event: MeshEvent, node: Int, world: Simulation)
    /// Node `node` put a datagram on the wire (before loss and partitions decide its fate).
    func datagramSent(_ bytes: Bytes, node: Int, world: Simulation)
    /// Node `node` opened a stream (a TCP connection in the real node).
    func streamOpened(node: Int, world: Simulation)
    /// Node `node` wrote `count` bytes to a stream.
    func streamBytesSent(_ count: Int, node: Int, world: Simulation)
    /// Node `node` made its incarnation durable.
    func incarnationPersisted(_ incarnation: UInt64, node: Int, world: Simulation)
    /// Node `node` crashed while at `incarnation`; it is already down.
    func nodeCrashed(_ node: Int, incarnation: UInt64, world: Simulation)
    /// Node `node` is about to start its next life.
    func nodeRestarting(_ node: Int, world: Simulation)
    /// Node `node` announced new metadata at `incarnation`.
    func updateAnnounced(_ node: Int, incarnation: UInt64, world: Simulation)
    /// Node `node` appended `record` to its log, which now ends at `position`; or, `position` nil,
    /// its disk refused the append (full).
    func logAppended(_ record: LogRecord, position: LogPosition?, node: Int, world: Simulation)
    /// Node `node` started a sync that will make records up to `upTo` durable at `completesAt`.
    func logSyncStarted(upTo: LogPosition, completesAt: Int64, node: Int, world: Simulation)
    /// Node `node` heard that its sync completed: `.synced(upTo:)` or `.failed(keptUpTo:)`.
    func logSyncCompleted(_ outcome: SimDisk.SyncOutcome, node: Int, world: Simulation)
    /// Node `node`'s crash did `damage` to its disk.
    func diskCrashed(_ damage: SimDisk.CrashDamage, node: Int, world: Simulation)
    /// Node `node` restarted and read its log back.
    func logRecovered(_ recovery: SimDisk.Recovery, node: Int, world: Simulation)
    /// A snapshot replaced `node`'s log (its compaction completed, durably): `records` stand for
    /// positions `0..<basePosition`; records appended after the `compactLog` follow them.
    func logCompacted(_ records: [LogRecord], basePosition: LogPosition, node: Int, world: Simulation)
}

extension WorldObserver {
    func nodeEmitted(_ event: MeshEvent, node: Int, world: Simulation) {}
    func datagramSent(_ bytes: Bytes, node: Int, world: Simulation) {}
    func streamOpened(node: Int, world: Simulation) {}
    func streamBytesSent(_ count: Int, node: Int, world: Simulation) {}
    func incarnationPersisted(_ incarnation: UInt64, node: Int, world: Simulation) {}
    func nodeCrashed(_ node: Int, incarnation: UInt64, world: Simulation) {}
    func nodeRestarting(_ node: Int, world: Simulation) {}
    func updateAnnounced(_ node: Int, incarnation: UInt64, world: Simulation) {}
    func logAppended(_ record: LogRecord, position: LogPosition?, node: Int, world: Simulation) {}
    func logSyncStarted(upTo: LogPosition, completesAt: Int64, node: Int, world: Simulation) {}
    func logSyncCompleted(_ outcome: SimDisk.SyncOutcome, node: Int, world: Simulation) {}
    func diskCrashed(_ damage: SimDisk.CrashDamage, node: Int, world: Simulation) {}
    func logRecovered(_ recovery: SimDisk.Recovery, node: Int, world: Simulation) {}
    func logCompacted(_ records: [LogRecord], basePosition: LogPosition, node: Int, world: Simulation) {}
}

/// A safety property, checked on every step: a breach is reported as it happens with
/// `world.violation(_:)` and fails the run.
protocol SafetyChecker: WorldObserver {}

/// A liveness property: it must hold within the scenario's convergence bound once the faults
/// stop. Asked every half second from then on; the run ends when every liveness checker holds.
protocol LivenessChecker: AnyObject {
    /// True when the property holds now.
    func holds(in world: Simulation) -> Bool
    /// The violation to report when it did not hold within `boundSeconds` after the faults stopped.
    func failure(boundSeconds: String) -> String
}

/// Figures a run reports: fed by the hooks, written into the report at the end.
protocol Measurement: WorldObserver {
    func report(into report: inout SimulationReport, world: Simulation)
}

/// Safety violations of one run: all counted, the first `messagesMax` kept.
struct ViolationLog {
    /// Violations described in the report; more are only counted.
    static let messagesMax = 20
    private(set) var count = 0
    private(set) var messages: [String] = []

    mutating func record(_ message: String) {
        count += 1
        if messages.count < ViolationLog.messagesMax { messages.append(message) }
    }
}

extension Simulation {
    /// Registers a safety checker: it sees every hook from now on.
    func register(safety checker: SafetyChecker) { observers.append(checker) }

    /// Registers a liveness checker, asked once the faults stop.
    func register(liveness checker: LivenessChecker) { livenessCheckers.append(checker) }

    /// Registers a measurement: it sees every hook and writes its figures into the report.
    func register(measurement: Measurement) {
        observers.append(measurement)
        measurementList.append(measurement)
    }

    /// A safety property broke: the run fails and the report describes it.
    func violation(_ message: String) { violations.record(message) }

    /// The instant as text for a violation message: "t=12.345".
    var timestamp: String { "t=\(seconds(now))" }
}
