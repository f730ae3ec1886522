import MeshCore

/// What the disk workload did and what crashes cost it (the diskWorkload layer's figures).
final class DiskDurability: Measurement {
    /// The figures this measurement adds to `SimulationReport.layerFigures`, in order.
    static let figureNames = [
        "diskRecordsAppended", "diskAppendsRefused", "diskRecordsSynced", "diskSyncsFailed",
        "diskSyncP50Seconds", "diskSyncP99Seconds", "diskCrashesWithUnsyncedRecords",
        "diskUnsyncedRecordsLost", "diskTornWrites", "diskTornTailsCut", "diskSyncedRecordsLost",
    ]

    private var appended = 0
    private var refused = 0
    private var recordsSynced = 0
    private var syncsFailed = 0
    private var syncDelays: [Int64] = []
    private var crashesWithUnsynced = 0
    private var unsyncedLost = 0
    private var tornWrites = 0
    private var tornTailsCut = 0
    private var syncedLost = 0
    /// Per node, how many records it was told are durable.
    private var synced: [Int: Int] = [:]

    func logAppended(_ record: LogRecord, position: LogPosition?, node: Int, world: Simulation) {
        if position == nil { refused += 1 } else { appended += 1 }
    }

    func logSyncStarted(upTo: LogPosition, completesAt: Int64, node: Int, world: Simulation) {
        syncDelays.append(completesAt - world.now)
    }

    func logSyncCompleted(_ outcome: SimDisk.SyncOutcome, node: Int, world: Simulation) {
        switch outcome {
        case .synced(let upTo):
            recordsSynced += max(0, Int(upTo) - (synced[node] ?? 0))
            synced[node] = max(synced[node] ?? 0, Int(upTo))
        case .failed:
            syncsFailed += 1
        }
    }

    func diskCrashed(_ damage: SimDisk.CrashDamage, node: Int, world: Simulation) {
        guard damage.recordsLost > 0 else { return }
        crashesWithUnsynced += 1
        unsyncedLost += damage.recordsLost
        if damage.tear != nil { tornWrites += 1 }
    }

    func logRecovered(_ recovery: SimDisk.Recovery, node: Int, world: Simulation) {
        if recovery.tornTail { tornTailsCut += 1 }
        syncedLost += max(0, (synced[node] ?? 0) - recovery.records.count)
        synced[node] = recovery.records.count
    }

    func report(into report: inout SimulationReport, world: Simulation) {
        let delays = LateSamples(delays: syncDelays, missing: 0)
        let values: [Double?] = [
            Double(appended), Double(refused), Double(recordsSynced), Double(syncsFailed),
            delays.quantile(0.5), delays.quantile(0.99), Double(crashesWithUnsynced),
            Double(unsyncedLost), Double(tornWrites), Double(tornTailsCut), Double(syncedLost),
        ]
        report.layerFigures += zip(DiskDurability.figureNames, values).map { (name: $0.0, value: $0.1) }
    }
}
