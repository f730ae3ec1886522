import Foundation
import Testing
@testable import MeshCore
@testable import MeshSimulator

/// The tasks layer in the simulator: small runs in debug builds. The 100-seed sweep of
/// `simulations/tasks-sweep.json` is a release step of `.ci/run` (a debug run takes seconds each).
@Suite struct TaskSimulationTests {
    static let small = """
    {"seed": SEED, "nodes": 5, "layers": ["membership", "tasks"], "link": {"loss": 0.02},
     "tasks": {"rate": 6, "untilSeconds": 16, "profiles": {"shell": 4}, "durationMs": [300, 1500], "failRate": 0.2},
     "crashes": {"count": 2, "firstSeconds": 7, "gapSeconds": [2, 4], "downSeconds": [2, 4], "overlap": false, "maxDown": 1},
     "events": [{"at": 12, "action": "partition", "groups": ["0-1", "2-4"]}, {"at": 17, "action": "heal"}],
     "durationSeconds": 18, "convergenceBoundSeconds": 40}
    """

    static func run(seed: Int) throws -> SimulationReport {
        let scenario = try Scenario.parse(Data(small.replacingOccurrences(of: "SEED", with: "\(seed)").utf8), name: "tasks-small")
        return Simulation(scenario: scenario).run()
    }

    @Test func tasksThroughCrashesAndAPartitionAreNeverLostNorFinishedTwice() throws {
        var failures: [String] = []
        for seed in 1...4 {
            let report = try Self.run(seed: seed)
            let accepted = report.figure("tasksAccepted") ?? 0
            if report.invariantViolations > 0 || report.convergedAfterSeconds == nil || accepted < 30
                || report.figure("tasksLost") != 0 || report.figure("tasksPending") != 0 {
                failures.append("seed \(seed): accepted \(accepted), \(report.violations.first ?? "did not finish every task")")
            }
        }
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test func theSameSeedGivesTheSameTaskTrace() throws {
        let a = try Self.run(seed: 3)
        let b = try Self.run(seed: 3)
        #expect(a.traceHash == b.traceHash)
        #expect(a.figure("tasksAccepted") == b.figure("tasksAccepted"))
    }

    @Test func theCheckerCatchesATaskFinishedTwice() throws {
        // Two different terminal events for one task, both synced: a breach.
        let scenario = try Scenario.parse(Data(Self.small.replacingOccurrences(of: "SEED", with: "1").utf8), name: "t")
        let simulation = Simulation(scenario: scenario)
        let checker = TasksCompleteOnce()
        let id = TaskID.idempotent(key: "x")
        var record = TaskRecord(id: id, spec: TaskSpec(profile: "shell", prompt: ""), owner: "n0", ownerEpoch: 1, copies: 2, at: 0)
        for (node, who) in [(0, "n0"), (1, "n1")] {
            let event = TaskEvent(state: .task(.succeeded), attempt: 1, node: who, at: 5)
            record.progress.state = .succeeded
            checker.logAppended(TaskLogEntry.progressed(id, record.progress, event).logRecord, position: 1, node: node, world: simulation)
            checker.logSyncCompleted(.synced(upTo: 1), node: node, world: simulation)
        }
        #expect(checker.finishedTwice == 1)
        #expect(simulation.violations.count >= 1)
    }
}
