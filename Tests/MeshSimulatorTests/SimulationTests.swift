import Foundation
import Testing
@testable import MeshCore
@testable import MeshSimulator

/// The simulator drives the shipped core; these scenarios run in debug builds, so they stay small.
/// The full-size scenarios are release-built `mesh sim` runs (see simulations/README.md).
@Suite struct SimulationTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static func path(_ relative: String) -> String { repository.appendingPathComponent(relative).path }

    static func scenario(_ json: String, name: String = "test") throws -> Scenario {
        try Scenario.parse(Data(json.utf8), name: name)
    }

    static let smallCrashes = """
    {"seed": 7, "nodes": 6, "crashes": {"count": 4, "firstSeconds": 10, "gapSeconds": [5, 8], "downSeconds": [20, 25]},
     "durationSeconds": 30, "convergenceBoundSeconds": 60}
    """

    @Test func theSameSeedGivesTheSameTraceAndAnotherSeedAnotherTrace() throws {
        let a = Simulation(scenario: try Self.scenario(Self.smallCrashes)).run()
        let b = Simulation(scenario: try Self.scenario(Self.smallCrashes)).run()
        #expect(a.traceHash == b.traceHash)
        #expect(a.eventsProcessed == b.eventsProcessed)
        let other = Simulation(scenario: try Self.scenario(Self.smallCrashes.replacingOccurrences(of: "\"seed\": 7", with: "\"seed\": 8"))).run()
        #expect(other.traceHash != a.traceHash)
    }

    @Test func everyCrashIsDetectedByEveryOtherNodeBeforeItRestarts() throws {
        let report = Simulation(scenario: try Self.scenario(Self.smallCrashes)).run()
        #expect(report.crashes == 4)
        #expect(report.crashesDetected == 4)
        #expect(report.invariantViolations == 0)
        #expect(report.falseDeadCount == 0)
        #expect(report.convergedAfterSeconds != nil)
        #expect((report.deadEverywhereMaxSeconds ?? 99) < 10)
    }

    @Test func aLoneNodeCutOffPastTheDeadTimeoutRejoinsAfterHealing() throws {
        let report = Simulation(scenario: try Scenario.load(path: Self.path("simulations/partition-lone.json"))).run()
        #expect(report.invariantViolations == 0)
        #expect((report.convergedAfterSeconds ?? 999) <= 30)
    }

    @Test func twoHalvesOfAPartitionMergeBackIntoOneMemberList() throws {
        let report = Simulation(scenario: try Self.scenario("""
        {"seed": 3, "nodes": 12, "events": [{"at": 10, "action": "partition", "groups": ["0-6", "7-11"]},
                                            {"at": 40, "action": "heal"}],
         "durationSeconds": 40, "convergenceBoundSeconds": 60}
        """)).run()
        #expect(report.invariantViolations == 0)
        #expect((report.convergedAfterSeconds ?? 999) <= 30)
    }

    @Test func everyDatagramStaysWithinTheSizeLimitInABusyMesh() throws {
        let report = Simulation(scenario: try Self.scenario("""
        {"seed": 4, "nodes": 40, "link": {"loss": 0.05, "duplicate": 0.05},
         "crashes": {"count": 6, "firstSeconds": 5, "gapSeconds": [1, 2], "downSeconds": [5, 10], "overlap": true, "maxDown": 5},
         "updates": {"count": 20, "firstSeconds": 3, "gapSeconds": [0.2, 0.5]},
         "durationSeconds": 25, "convergenceBoundSeconds": 60}
        """)).run()
        #expect(report.maxDatagramBytes <= WireLimits.datagramBytesMax)
        #expect(report.maxDatagramBytes > 200)
        #expect(report.invariantViolations == 0)
    }

    /// At least 100 seeds of a small churn scenario: crashes that overlap, loss, duplication, a
    /// one-way partition and a pause. Any failing seed is printed with its replay command.
    @Test func aSweepOfOneHundredSeedsBreaksNoInvariant() async throws {
        let base = """
        {"seed": SEED, "nodes": 8, "link": {"loss": 0.02, "duplicate": 0.02},
         "crashes": {"count": 5, "firstSeconds": 5, "gapSeconds": [2, 6], "downSeconds": [4, 15], "overlap": true, "maxDown": 3},
         "updates": {"count": 5, "firstSeconds": 4, "gapSeconds": [2, 5]},
         "events": [{"at": 12, "action": "partition", "groups": ["0-2", "3-7"], "oneWay": true},
                    {"at": 20, "action": "heal"}, {"at": 22, "action": "pause", "node": 5, "seconds": 2}],
         "durationSeconds": 35, "convergenceBoundSeconds": 60}
        """
        var failures: [String] = []
        for seed in 1...100 {
            let scenario = try Self.scenario(base.replacingOccurrences(of: "SEED", with: "\(seed)"), name: "sweep")
            let report = await offCooperativePool { Simulation(scenario: scenario).run() }
            if report.invariantViolations > 0 || report.convergedAfterSeconds == nil {
                failures.append("seed \(seed): \(report.violations.first ?? "did not converge")")
            }
        }
        #expect(failures.isEmpty, "\(failures)")
    }

    /// Seeds that once failed (or that cover a case worth keeping) are replayed forever.
    @Test func regressionSeedsStillPass() async throws {
        let listPath = Self.path("simulations/regressions/seeds.json")
        let data = try #require(FileManager.default.contents(atPath: listPath))
        let entries = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        #expect(!entries.isEmpty)
        for entry in entries {
            let file = try #require(entry["scenario"] as? String)
            let seeds = try #require(entry["seeds"] as? [Int])
            for seed in seeds {
                let scenario = try Scenario.load(path: Self.path("simulations/" + file), seed: UInt64(seed))
                let report = await offCooperativePool { Simulation(scenario: scenario).run() }
                #expect(report.invariantViolations == 0, "\(file) seed \(seed): \(report.violations)")
                #expect(report.convergedAfterSeconds != nil, "\(file) seed \(seed) did not converge")
                #expect(report.brokenPromises.isEmpty, "\(file) seed \(seed): \(report.brokenPromises.map(\.description))")
                if let expected = entry["falseDeadCount"] as? Int {
                    #expect(report.falseDeadCount == expected, "\(file) seed \(seed): \(report.falseDeathNotes)")
                }
            }
        }
    }

    @Test func everyScenarioFileParses() throws {
        let fm = FileManager.default
        var files: [String] = []
        for folder in ["simulations", "simulations/scale", "simulations/regressions"] {
            for name in (try? fm.contentsOfDirectory(atPath: Self.path(folder))) ?? [] where name.hasSuffix(".json") && name != "seeds.json" {
                files.append(folder + "/" + name)
            }
        }
        #expect(files.count >= 10)
        for file in files.sorted() {
            #expect(throws: Never.self, "\(file)") { try Scenario.load(path: Self.path(file)) }
        }
        // Every scenario says what it promises; CI fails when a promise breaks.
        for file in files.sorted() {
            let scenario = try Scenario.load(path: Self.path(file))
            #expect(scenario.promises.count >= 2, "\(file) declares no promises (\"expect\")")
        }
    }

    @Test(arguments: [
        ("{\"nodes\": 3, \"durationSeconds\": 10, \"colour\": 1}", "unknown key 'colour'"),
        ("{\"durationSeconds\": 10}", "nodes: is required"),
        ("{\"nodes\": 3, \"durationSeconds\": 10, \"events\": [{\"at\": 1, \"action\": \"crash\", \"node\": 3}]}", "node: must be a whole number from 0 to 2"),
        ("{\"nodes\": 3, \"durationSeconds\": 10, \"events\": [{\"at\": 1, \"action\": \"explode\"}]}", "unknown action 'explode'"),
        ("{\"nodes\": 3, \"durationSeconds\": 10, \"preset\": \"fast\"}", "preset 'fast'"),
        ("{\"nodes\": 3, \"durationSeconds\": 10, \"events\": [{\"at\": 11, \"action\": \"heal\"}]}", "after durationSeconds"),
        ("[1, 2]", "must be an object"),
        ("{nodes", "not valid JSON (expected a key in quotes at line 1, column 2)"),
    ])
    func badScenarioFilesGetAClearError(_ json: String, _ message: String) {
        do {
            _ = try Self.scenario(json)
            Issue.record("accepted: \(json)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    @Test func theInvariantCheckerCatchesAFallingIncarnation() throws {
        let simulation = Simulation(scenario: try Self.scenario("{\"nodes\": 3, \"durationSeconds\": 1}"))
        simulation.observe(.memberChanged(name: "n1", status: .alive, incarnation: 5, address: Address(10, 0, 0, 2, port: 7946)), at: 0)
        simulation.observe(.memberChanged(name: "n1", status: .dead, incarnation: 5, address: Address(10, 0, 0, 2, port: 7946)), at: 0)
        #expect(simulation.violations.count == 0)
        simulation.observe(.memberChanged(name: "n1", status: .alive, incarnation: 5, address: Address(10, 0, 0, 2, port: 7946)), at: 0)
        simulation.observe(.memberChanged(name: "n1", status: .alive, incarnation: 4, address: Address(10, 0, 0, 2, port: 7946)), at: 0)
        #expect(simulation.violations.count == 2)
    }
}
