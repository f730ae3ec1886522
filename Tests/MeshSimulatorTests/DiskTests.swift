import Foundation
import Testing
@testable import MeshCore
@testable import MeshSimulator

/// The simulated disk: buffered appends, syncs with latency, crashes that lose unsynced records
/// and tear the next one, EIO and disk-full; and the checker that holds it to its promises.
@Suite struct DiskTests {
    static func record(_ n: Int, size: Int = 40) -> LogRecord {
        DiskWorkload.record(node: 0, sequence: UInt64(n), size: size)
    }

    static func model(tear: Double = 0) -> DiskModel {
        var model = DiskModel()
        model.tornWriteProbability = tear
        return model
    }

    @Test func onlySyncedRecordsSurviveACrash() {
        var disk = SimDisk(model: Self.model())
        var random = SeededGenerator(seed: 1)
        #expect(disk.append(Self.record(0), now: 0) == 1)
        #expect(disk.append(Self.record(1), now: 0) == 2)
        let (sync, completesAt) = disk.sync(now: 0, using: &random)
        #expect(completesAt >= Nanoseconds.milliseconds(1) && completesAt <= Nanoseconds.milliseconds(3))
        #expect(disk.append(Self.record(2), now: 1) == 3)
        #expect(disk.durableRecordCount == 0)
        #expect(disk.completeSync(sync) == .synced(upTo: 2))
        #expect(disk.durableRecordCount == 2 && disk.unsyncedRecordCount == 1)
        let damage = disk.crash(using: &random)
        #expect(damage == SimDisk.CrashDamage(recordsLost: 1, tear: nil))
        #expect(disk.recover() == SimDisk.Recovery(records: [Self.record(0), Self.record(1)], tornTail: false))
        #expect(disk.append(Self.record(3), now: 2) == 3)
    }

    @Test func aTornRecordIsFoundAndCutAndTheLogGoesOnAfterIt() {
        var random = SeededGenerator(seed: 2)
        var tears: Set<String> = []
        for round in 0..<40 {
            var disk = SimDisk(model: Self.model(tear: 1))
            _ = disk.append(Self.record(0), now: 0)
            let (sync, _) = disk.sync(now: 0, using: &random)
            _ = disk.completeSync(sync)
            _ = disk.append(Self.record(1, size: 16 + round * 7), now: 0)
            let damage = disk.crash(using: &random)
            #expect(damage == SimDisk.CrashDamage(recordsLost: 1, tear: damage.tear) && damage.tear != nil)
            tears.insert(damage.tear.map { "\($0)" } ?? "none")
            #expect(disk.durable.count > LogRecordFormat.encode(Self.record(0)).count)
            #expect(disk.recover() == SimDisk.Recovery(records: [Self.record(0)], tornTail: true))
            #expect(disk.durable == LogRecordFormat.encode(Self.record(0)))
            _ = disk.append(Self.record(2), now: 0)
            let (next, _) = disk.sync(now: 0, using: &random)
            _ = disk.completeSync(next)
            #expect(LogRecordFormat.scan(disk.durable) == LogScan(
                records: [Self.record(0), Self.record(2)], validByteCount: disk.durable.count, tailDamage: nil))
        }
        #expect(tears == ["truncated", "badChecksum"])
    }

    @Test func anEIOFailsTheNextSyncAndDropsEveryUnsyncedRecord() {
        var disk = SimDisk(model: Self.model())
        var random = SeededGenerator(seed: 3)
        _ = disk.append(Self.record(0), now: 0)
        _ = disk.completeSync(disk.sync(now: 0, using: &random).sync)
        _ = disk.append(Self.record(1), now: 0)
        disk.failsNextSync = true
        let (sync, _) = disk.sync(now: 0, using: &random)
        _ = disk.append(Self.record(2), now: 0)
        let (later, _) = disk.sync(now: 0, using: &random)
        #expect(disk.completeSync(sync) == .failed(keptUpTo: 1))
        #expect(disk.position == 1 && disk.unsyncedRecordCount == 0)
        #expect(disk.completeSync(later) == nil, "a sync voided by the failure never completes")
        _ = disk.append(Self.record(3), now: 0)
        #expect(disk.completeSync(disk.sync(now: 0, using: &random).sync) == .synced(upTo: 2))
    }

    @Test func aFullDiskRefusesAppendsUntilItsTime() {
        var disk = SimDisk(model: Self.model())
        disk.fullUntil = 100
        #expect(disk.append(Self.record(0), now: 99) == nil)
        #expect(disk.append(Self.record(0), now: 100) == 1)
    }

    @Test func syncsRunOneAtATimeAndACrashVoidsTheOnesInFlight() {
        var disk = SimDisk(model: Self.model())
        var random = SeededGenerator(seed: 4)
        _ = disk.append(Self.record(0), now: 0)
        let first = disk.sync(now: 0, using: &random)
        _ = disk.append(Self.record(1), now: 0)
        let second = disk.sync(now: 0, using: &random)
        #expect(second.completesAt >= first.completesAt + Nanoseconds.milliseconds(1))
        _ = disk.crash(using: &random)
        #expect(disk.completeSync(first.sync) == nil)
        #expect(disk.recover().records.isEmpty)
    }

    static func simulation() throws -> Simulation {
        Simulation(scenario: try Scenario.parse("{\"nodes\": 2, \"durationSeconds\": 1, \"layers\": [\"membership\", \"diskWorkload\"]}", name: "test"))
    }

    @Test func theCheckerCatchesASyncReportedBeforeTheDiskHasIt() throws {
        let simulation = try Self.simulation()
        simulation.notify { $0.logAppended(Self.record(0), position: 1, node: 0, world: simulation) }
        simulation.notify { $0.logSyncCompleted(.synced(upTo: 1), node: 0, world: simulation) }
        #expect(simulation.violations.messages.first?.contains("was told records up to 1 are synced; its disk holds 0") == true)
    }

    @Test func theCheckerCatchesALostSyncedRecordAndAMissedTear() throws {
        let simulation = try Self.simulation()
        var random = SeededGenerator(seed: 5)
        _ = simulation.disks[0].append(Self.record(0), now: 0)
        _ = simulation.disks[0].completeSync(simulation.disks[0].sync(now: 0, using: &random).sync)
        simulation.notify { $0.logAppended(Self.record(0), position: 1, node: 0, world: simulation) }
        simulation.notify { $0.logSyncCompleted(.synced(upTo: 1), node: 0, world: simulation) }
        #expect(simulation.violations.count == 0)
        simulation.notify { $0.diskCrashed(.init(recordsLost: 1, tear: .truncated), node: 0, world: simulation) }
        simulation.notify { $0.logRecovered(.init(records: [], tornTail: false), node: 0, world: simulation) }
        let messages = simulation.violations.messages
        #expect(messages.count == 3, "\(messages)")
        #expect(messages.contains { $0.contains("lost synced records: 1 synced, 0 recovered") })
        #expect(messages.contains { $0.contains("missed a torn record (truncated)") })
        #expect(messages.contains { $0.contains("left") && $0.contains("bytes of torn tail") })
    }

    @Test func nodesThatCrashBetweenAppendAndSyncKeepEverySyncedRecord() throws {
        let scenario = try Scenario.parse("""
        {"seed": 9, "nodes": 4, "layers": ["membership", "diskWorkload"],
         "diskWorkload": {"appendsPerSecond": 40, "batchRecords": 4, "recordBytes": [16, 200]},
         "crashes": {"count": 20, "firstSeconds": 3, "gapSeconds": [0.3, 1], "downSeconds": [0.5, 2], "overlap": true, "maxDown": 2},
         "events": [{"at": 8, "action": "diskError", "node": 1}, {"at": 10, "action": "diskFull", "node": 2, "seconds": 2}],
         "durationSeconds": 30, "convergenceBoundSeconds": 90,
         "expect": {"invariantViolations": 0, "diskSyncedRecordsLost": 0, "diskCrashesWithUnsyncedRecordsMin": 10,
                    "diskTornTailsCutMin": 3, "diskSyncsFailed": 1, "diskAppendsRefusedMin": 20}}
        """, name: "disk")
        let report = Simulation(scenario: scenario).run()
        #expect(report.passed, "\(report.violations) \(report.brokenPromises.map(\.description))")
        #expect(report.figure("diskTornTailsCut") == report.figure("diskTornWrites"))
    }

    @Test(arguments: [
        ("{\"nodes\": 2, \"durationSeconds\": 1, \"diskWorkload\": {}}", "does not run the diskWorkload layer"),
        ("{\"nodes\": 2, \"durationSeconds\": 1, \"disk\": {\"syncMs\": 1, \"syncJitterMs\": 2}}", "disk.syncJitterMs: must not exceed syncMs"),
        ("{\"nodes\": 2, \"durationSeconds\": 1, \"layers\": [\"membership\", \"diskWorkload\"], \"diskWorkload\": {\"recordBytes\": [0, 10]}}", "recordBytes: must be [low, high] whole bytes"),
        ("{\"nodes\": 2, \"durationSeconds\": 1, \"expect\": {\"diskTornTailsCutMin\": 1}}", "unknown key 'diskTornTailsCutMin'"),
    ])
    func badDiskSettingsGetAClearError(_ json: String, _ message: String) {
        do {
            _ = try Scenario.parse(json, name: "test")
            Issue.record("accepted: \(json)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }
}

/// The core's own `append` and `sync` directives, carried out on the simulated disk.
@Suite struct CoreDiskTests {
    static let scenario = """
    {"nodes": 2, "start": "converged", "durationSeconds": 5, "convergenceBoundSeconds": 5,
     "disk": {"syncMs": 2, "syncJitterMs": 1, "tornWriteProbability": 1}}
    """

    /// Runs the world's events up to `until` nanoseconds.
    static func run(_ sim: Simulation, until: Int64) {
        while let next = sim.queue.nextTime, next <= until, let event = sim.queue.pop() {
            sim.now = event.time
            sim.process(event.kind)
        }
    }

    static func record(_ n: UInt8) -> LogRecord { LogRecord(kind: 7, body: [n, n, n, n]) }

    @Test func appendedRecordsBecomeDurableOnSyncAndTheCoreHearsOfIt() throws {
        let sim = Simulation(scenario: try Scenario.parse(Self.scenario, name: "core-disk"))
        sim.startNodes()
        sim.apply(0, [.append(Self.record(1)), .append(Self.record(2)), .sync, .append(Self.record(3))])
        #expect(sim.coreSyncs[0].count == 1)
        #expect(sim.disks[0].durableRecordCount == 0, "nothing is durable before the sync completes")
        Self.run(sim, until: sim.now + .milliseconds(10))
        #expect(sim.disks[0].durableRecordCount == 2)
        #expect(sim.coreSyncs[0].isEmpty, "the core was told")
        // A crash now loses the unsynced third record (torn: the model always tears) and keeps the two.
        sim.perform(.crash(0))
        sim.perform(.restart(0))
        #expect(sim.disks[0].durableRecordCount == 2)
        #expect(sim.violations.count == 0, "\(sim.violations)")
    }

    @Test func aFullDiskRefusesTheAppendAndTheCoreHearsDiskFailed() throws {
        let sim = Simulation(scenario: try Scenario.parse(Self.scenario, name: "core-disk"))
        sim.startNodes()
        sim.disks[0].fullUntil = .max
        let before = sim.queue.count
        sim.apply(0, [.append(Self.record(1))])
        #expect(sim.queue.count == before + 1, "one input for the core: diskFailed(.full)")
        Self.run(sim, until: sim.now)
        #expect(sim.queue.count == before, "delivered")
        #expect(sim.disks[0].position == 0)
        #expect(sim.violations.count == 0)
    }
}
