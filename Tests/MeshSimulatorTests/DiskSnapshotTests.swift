import Foundation
import Testing
@testable import MeshCore
@testable import MeshSimulator

/// The simulated disk's snapshots behave like the runtime's: atomic, durable at once, superseding
/// every record appended before them, positions never going back.
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
        #expect(disk.compact([Self.record(100)]) == 6)
        #expect(disk.completeSync(sync) == .synced(upTo: 5), "a sync overtaken by the snapshot still completes")
        #expect(disk.durableRecordCount == 6 && disk.unsyncedRecordCount == 0)
        #expect(disk.append(Self.record(6), now: 0) == 7)
        let damage = disk.crash(using: &random)
        #expect(damage.recordsLost == 1 && damage.tear != nil)
        let recovery = disk.recover()
        #expect(recovery.records == [Self.record(100)] && recovery.position == 6 && recovery.tornTail)
        #expect(disk.append(Self.record(7), now: 0) == 7)
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
/// recovery that finds the snapshot and what followed it is no violation.
@Suite struct SnapshotCheckerTests {
    @Test func aCompactedLogRecoveredAfterACrashBreaksNoPromise() throws {
        for seed in 1...20 {
            let json = "{\"nodes\": 1, \"durationSeconds\": 1, \"seed\": \(seed)}"
            let simulation = Simulation(scenario: try Scenario.parse(Data(json.utf8), name: "snapshot"))
            for n in 0..<3 { simulation.appendFromCore(DiskSnapshotTests.record(n), node: 0) }
            simulation.compactFromCore([DiskSnapshotTests.record(100), DiskSnapshotTests.record(101)], node: 0)
            simulation.appendFromCore(DiskSnapshotTests.record(3), node: 0)
            simulation.appendFromCore(DiskSnapshotTests.record(4), node: 0)
            simulation.crashDisk(0)
            simulation.recoverDisk(0)
            #expect(simulation.violations.count == 0, "seed \(seed): \(simulation.violations.messages)")
            #expect(simulation.disks[0].durableRecordCount == 3)
            simulation.appendFromCore(DiskSnapshotTests.record(5), node: 0)
            #expect(simulation.violations.count == 0, "seed \(seed): \(simulation.violations.messages)")
        }
    }
}
