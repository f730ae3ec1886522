import Foundation
import Testing
@testable import MeshCore
@testable import MeshSimulator

/// Honest figures: what a scenario promises is checked on every run, and what never arrived counts
/// as infinitely late.
@Suite struct PromiseTests {
    static func scenario(_ json: String) throws -> Scenario { try Scenario.parse(Data(json.utf8), name: "test") }

    static let smallCrashes = """
    {"seed": 7, "nodes": 6, "crashes": {"count": 4, "firstSeconds": 10, "gapSeconds": [5, 8], "downSeconds": [20, 25]},
     "durationSeconds": 30, "convergenceBoundSeconds": 60, "expect": EXPECT}
    """

    static func run(expect: String) throws -> SimulationReport {
        Simulation(scenario: try scenario(smallCrashes.replacingOccurrences(of: "EXPECT", with: expect))).run()
    }

    @Test func keysNameAFigureExactlyOrWithMaxOrMin() throws {
        let s = try Self.scenario("""
        {"nodes": 3, "durationSeconds": 1, "expect": {"crashes": 2, "falseDeadCountMax": 0, "disseminationSamplesMin": 5}}
        """)
        let byKey = Dictionary(uniqueKeysWithValues: s.promises.map { ($0.key, $0) })
        #expect(byKey["crashes"] == Promise(key: "crashes", figure: "crashes", bound: .exactly, value: 2))
        #expect(byKey["falseDeadCountMax"] == Promise(key: "falseDeadCountMax", figure: "falseDeadCount", bound: .atMost, value: 0))
        #expect(byKey["disseminationSamplesMin"]?.bound == .atLeast)
    }

    @Test(arguments: [
        ("{\"crashesUndetectd\": 0}", "expect.crashesUndetectd: unknown key 'crashesUndetectd'"),
        ("{\"falseDeadCountMaximum\": 0}", "unknown key 'falseDeadCountMaximum'"),
        ("{\"falseDeadCount\": \"none\"}", "expect.falseDeadCount: must be a number"),
        ("[1]", "expect: must be an object"),
    ])
    func badPromisesGetAClearError(_ expect: String, _ message: String) {
        do {
            _ = try Self.scenario("{\"nodes\": 3, \"durationSeconds\": 1, \"expect\": \(expect)}")
            Issue.record("accepted: \(expect)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    @Test func aRunThatKeepsEveryPromisePasses() throws {
        let report = try Self.run(expect: "{\"crashes\": 4, \"crashesUndetected\": 0, \"deadEverywhereMedianSecondsMax\": 5, \"convergedAfterSecondsMax\": 30}")
        #expect(report.promises.count == 4)
        #expect(report.brokenPromises.isEmpty)
        #expect(report.passed)
        #expect(report.text.contains("promises: 4 kept"))
    }

    @Test func aBrokenPromiseFailsTheRunAndSaysWhatWasMeasured() throws {
        let report = try Self.run(expect: "{\"deadEverywhereMedianSecondsMax\": 0.5, \"crashesMin\": 4}")
        #expect(!report.passed)
        #expect(report.invariantViolations == 0)
        let broken = try #require(report.brokenPromises.first)
        #expect(report.brokenPromises.count == 1)
        #expect(broken.promise.key == "deadEverywhereMedianSecondsMax")
        #expect(broken.description.hasPrefix("deadEverywhereMedianSeconds "))
        #expect(broken.description.hasSuffix("(promised <= 0.5)"))
        #expect(report.text.contains("1 kept, 1 BROKEN"))
    }

    @Test func aPromiseAboutAFigureWithoutSamplesIsBroken() throws {
        let report = try Self.run(expect: "{\"disseminationP99SecondsMax\": 100}")
        #expect(report.disseminationP99Seconds == nil)
        #expect(!report.passed)
        #expect(report.brokenPromises.first?.description.contains("no sample") == true)
    }

    @Test func anInvariantViolationFailsTheRunWithoutAnyPromise() {
        var report = SimulationReport()
        #expect(report.passed)
        report.invariantViolations = 1
        #expect(!report.passed)
    }

    @Test func missingSamplesAreInfinitelyLateInTheQuantiles() {
        let ms: Int64 = 1_000_000
        let none = LateSamples(delays: [], missing: 0)
        #expect(none.quantile(0.5) == nil && none.median == nil && none.max == nil)
        let all = LateSamples(delays: [10 * ms, 20 * ms, 30 * ms], missing: 0)
        #expect(all.median == 0.02 && all.quantile(0.99) == 0.03 && all.max == 0.03)
        let oneMissing = LateSamples(delays: [10 * ms, 20 * ms, 30 * ms], missing: 1)
        #expect(oneMissing.quantile(0.5) == 0.02)
        #expect(oneMissing.quantile(0.75) == 0.03)
        #expect(oneMissing.quantile(0.99) == .infinity)
        #expect(oneMissing.max == .infinity)
        #expect(oneMissing.median == 0.025)
        let mostlyMissing = LateSamples(delays: [10 * ms], missing: 2)
        #expect(mostlyMissing.median == .infinity)
        #expect(LateSamples(delays: [10 * ms], missing: 1).median == .infinity)
    }

    @Test func anInfinitelyLateFigureBreaksAMaxPromiseAndPrintsAsInf() {
        var report = SimulationReport()
        report.crashes = 2
        report.crashesUndetected = 1
        report.deadEverywhereMaxSeconds = .infinity
        let result = Promise(key: "deadEverywhereMaxSecondsMax", figure: "deadEverywhereMaxSeconds", bound: .atMost, value: 60).check(report)
        #expect(!result.kept)
        #expect(result.description == "deadEverywhereMaxSeconds inf (promised <= 60.0)")
        #expect(Promise(key: "deadEverywhereMaxSecondsMin", figure: "deadEverywhereMaxSeconds", bound: .atLeast, value: 60).check(report).kept)
        #expect(report.text.contains("max inf s (1 undetected count as infinitely late)"))
    }

    @Test func aRunThatNeverConvergesIsInfinitelyLate() {
        var report = SimulationReport()
        report.convergedAfterSeconds = nil
        #expect(report.figure("convergedAfterSeconds") == .infinity)
    }
}
