import Foundation
import Testing
@testable import MeshCore
@testable import MeshSimulator

/// The simulated disk's snapshots behave like the runtime's: atomic, durable once complete (in turn
/// with the syncs), superseding every record appended before them, positions never going back; a
/// crash before one completes keeps the old log.
@Suite struct DiskSnapshotTests {
    static func record(_ n: Int) -> LogRecord { DiskWorkload.record(node: 0, sequence: UInt64(n), size: 40) }

    @Test func aSnapshotSurvivesACrashAndKeepsThePositionsGoing() {
        var model = DiskModel()
        model.tornWriteProbability = 1
        var disk = SimDisk(model: model)
        var random = SeededGenerator(seed: 7)
        for n in 0..<5 { _ = disk.append(Self.record(n), now: 0) }
        let (sync, _) = disk.sync(now: 0, using: &random)
        _ = disk.append(Self.record(5), now: 0)
        let compaction = disk.compact([Self.record(100)], now: 0, using: &random)
        #expect(compaction.base == 6 && disk.snapshot(of: compaction.sync) == [Self.record(100)])
        #expect(disk.append(Self.record(6), now: 0) == 7, "an append after the directive follows the snapshot")
        #expect(disk.completeSync(sync) == .synced(upTo: 5), "the sync issued before completes first")
        #expect(disk.completeSync(compaction.sync) == .synced(upTo: 6))
        #expect(disk.durableRecordCount == 6 && disk.unsyncedRecordCount == 1)
        let damage = disk.crash(using: &random)
        #expect(damage.recordsLost == 1 && damage.tear != nil, "the record after the snapshot was unsynced")
        let recovery = disk.recover()
        #expect(recovery.records == [Self.record(100)] && recovery.position == 6 && recovery.tornTail)
        #expect(disk.append(Self.record(7), now: 0) == 7)
    }

    @Test func aCrashBeforeTheSnapshotCompletesKeepsTheOldLog() {
        var disk = SimDisk(model: DiskModel())
        var random = SeededGenerator(seed: 3)
        for n in 0..<3 { _ = disk.append(Self.record(n), now: 0) }
        let sync = disk.sync(now: 0, using: &random)
        _ = disk.append(Self.record(3), now: 0)
        let compaction = disk.compact([Self.record(100), Self.record(101)], now: 0, using: &random)
        #expect(compaction.completesAt > sync.completesAt, "a compaction runs after the syncs issued before it")
        let later = disk.sync(now: 0, using: &random)
        #expect(later.completesAt > compaction.completesAt, "and before those issued after it")
        _ = disk.append(Self.record(4), now: 0)
        #expect(disk.completeSync(sync.sync) == .synced(upTo: 3))
        _ = disk.crash(using: &random)
        let recovery = disk.recover()
        #expect(recovery.records == (0..<3).map(Self.record) && recovery.position == 3, "the old log, its synced records")
        #expect(disk.completeSync(compaction.sync) == nil, "the crash voided the compaction")
        #expect(disk.append(Self.record(5), now: 0) == 4)
    }

    @Test func aFailedCompactionKeepsTheOldLog() {
        var disk = SimDisk(model: DiskModel())
        var random = SeededGenerator(seed: 5)
        for n in 0..<3 { _ = disk.append(Self.record(n), now: 0) }
        #expect(disk.completeSync(disk.sync(now: 0, using: &random).sync) == .synced(upTo: 3))
        _ = disk.append(Self.record(3), now: 0)
        let compaction = disk.compact([Self.record(100)], now: 0, using: &random)
        disk.failsNextSync = true
        #expect(disk.completeSync(compaction.sync) == .failed(keptUpTo: 3))
        #expect(disk.recover().records == (0..<3).map(Self.record))
    }

    @Test func theRecoveredLogReadsTheHeaderLikeTheRuntime() {
        let header = LogSnapshotHeader(basePosition: 40, recordCount: 2)
        #expect(LogSnapshotHeader(header.logRecord) == header)
        let scanned = [header.logRecord, Self.record(1), Self.record(2), Self.record(3)]
        #expect(RecoveredLog(scanned: scanned) == RecoveredLog(records: Array(scanned.dropFirst()), position: 41))
        #expect(RecoveredLog(scanned: [LogSnapshotHeader(basePosition: 1, recordCount: 5).logRecord]) == nil)
        #expect(RecoveredLog(scanned: [LogRecord(kind: 0xFF, body: [9])]) == nil)
        #expect(RecoveredLog(scanned: [Self.record(1)])?.position == 1)
    }
}

/// The synced-records checker follows snapshots: positions keep counting from the base, and a
/// recovery that finds the snapshot and what followed it (or the old log, when the crash came
/// before the snapshot completed) is no violation.
@Suite struct SnapshotCheckerTests {
    @Test func aCompactedLogRecoveredAfterACrashBreaksNoPromise() throws {
        for seed in 1...20 {
            for completes in [true, false] {
                let json = "{\"nodes\": 1, \"durationSeconds\": 1, \"seed\": \(seed)}"
                let simulation = Simulation(scenario: try Scenario.parse(Data(json.utf8), name: "snapshot"))
                for n in 0..<3 { simulation.appendFromCore(DiskSnapshotTests.record(n), node: 0) }
                let sync = simulation.compactFromCore([DiskSnapshotTests.record(100), DiskSnapshotTests.record(101)], node: 0)
                simulation.appendFromCore(DiskSnapshotTests.record(3), node: 0)
                simulation.appendFromCore(DiskSnapshotTests.record(4), node: 0)
                if completes { #expect(simulation.completeDiskSync(sync, node: 0).compacted) }
                simulation.crashDisk(0)
                simulation.recoverDisk(0)
                #expect(simulation.violations.count == 0, "seed \(seed): \(simulation.violations.messages)")
                #expect(simulation.disks[0].durableRecordCount == (completes ? 3 : 0))
                simulation.appendFromCore(DiskSnapshotTests.record(5), node: 0)
                #expect(simulation.violations.count == 0, "seed \(seed): \(simulation.violations.messages)")
            }
        }
    }
}
