import MeshCore
import MeshSimulator

extension MeshCommandLine {
    static let simCommand = Command(
        name: "sim", summary: "run a simulation scenario, print its report, and fail when it breaks a promise",
        usage: "sim FILE [--seed N] [--seeds N] [--preset P] [--no-lifeguard] [--json]",
        options: [.value("seed", "N", "random seed (default: the scenario's)"),
                  .value("preset", "P", "membership preset: adaptive, lan, wan, local, memberlist, memberlist-wan (default: the scenario's)"),
                  .flag("no-lifeguard", "turn Lifeguard off (plain SWIM suspicion), for comparison"),
                  .value("seeds", "N", "run N consecutive seeds from --seed and print one line each"),
                  .flag("json", "print the report as one JSON object")]) { arguments in
        guard arguments.positionals.count == 1 else {
            throw UsageError("sim takes one scenario file (see mesh sim --help)")
        }
        let path = arguments.positionals[0]
        let scenario = try simScenario(path: path, arguments: arguments)
        let runs = try arguments.integer("seeds", default: 1, in: 1...100_000)
        var failed = 0
        for run in 0..<runs {
            let current = run == 0 ? scenario : try reseeded(path: path, seed: scenario.seed &+ UInt64(run), base: scenario)
            let report = Simulation(scenario: current).run()
            if runs > 1 {
                print(sweepLine(report))
            } else {
                print(arguments.has("json") ? report.jsonValue.serialized() : report.text)
            }
            if !report.passed {
                failed += 1
                printError(failureMessage(report, path: path))
            }
        }
        if runs > 1 { print("\(runs - failed) of \(runs) seeds passed") }
        return failed == 0 ? 0 : 1
    }

    /// The scenario at `path` with the command line's seed, preset and Lifeguard choice.
    static func simScenario(path: String, arguments: ParsedArguments) throws -> Scenario {
        var scenario: Scenario
        do { scenario = try Scenario.load(path: path) } catch let error as ScenarioError {
            throw UsageError(error.description)
        }
        if let text = arguments.value("seed") {
            guard let seed = UInt64(text) else { throw UsageError("--seed must be a whole number (got '\(text)')") }
            scenario = try reseeded(path: path, seed: seed, base: scenario)
        }
        if let name = arguments.value("preset") {
            guard let preset = MembershipSettings.Preset(rawValue: name) else {
                throw UsageError("--preset must be one of \(MembershipSettings.Preset.names) (got '\(name)')")
            }
            scenario.apply(preset: preset)
        }
        if arguments.has("no-lifeguard") { scenario.settings.lifeguard = false }
        return scenario
    }

    /// One line of a seed sweep.
    static func sweepLine(_ report: SimulationReport) -> String {
        let kept = report.promises.count - report.brokenPromises.count
        return "seed \(report.seed) trace \(report.traceHash) violations \(report.invariantViolations)"
            + " converged \(report.convergedAfterSeconds.map { String($0) } ?? "no")"
            + " promises \(kept)/\(report.promises.count)" + (report.passed ? "" : " FAILED")
    }

    /// What broke, and the command that replays the run.
    static func failureMessage(_ report: SimulationReport, path: String) -> String {
        var parts: [String] = []
        if report.invariantViolations > 0 { parts.append("\(report.invariantViolations) invariant check(s)") }
        let broken = report.brokenPromises
        if !broken.isEmpty {
            parts.append("\(broken.count) promise(s): " + broken.map(\.description).joined(separator: "; "))
        }
        return "seed \(report.seed) failed " + parts.joined(separator: " and ") + "; replay: \(report.replayCommand(path: path))"
    }

    /// The scenario parsed again with another seed, so generated faults follow the new seed too.
    static func reseeded(path: String, seed: UInt64, base: Scenario) throws -> Scenario {
        var scenario: Scenario
        do { scenario = try Scenario.load(path: path, seed: seed) } catch let error as ScenarioError {
            throw UsageError(error.description)
        }
        if scenario.preset != base.preset { scenario.apply(preset: base.preset) }
        scenario.settings.lifeguard = base.settings.lifeguard
        return scenario
    }
}
