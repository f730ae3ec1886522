import Foundation
import MeshCore
import MeshSimulator

extension MeshCommandLine {
    static let simCommand = Command(
        name: "sim", summary: "run a simulation scenario and print its report",
        usage: "sim FILE [--seed N] [--preset P] [--no-lifeguard] [--json]",
        options: [.value("seed", "N", "random seed (default: the scenario's)"),
                  .value("preset", "P", "membership preset: lan, wan, local, memberlist (default: the scenario's)"),
                  .flag("no-lifeguard", "turn Lifeguard off (plain SWIM suspicion), for comparison"),
                  .value("seeds", "N", "run N consecutive seeds from --seed and print one line each"),
                  .flag("json", "print the report as one JSON object")]) { arguments in
        guard arguments.positionals.count == 1 else {
            throw UsageError("sim takes one scenario file (see mesh sim --help)")
        }
        let path = arguments.positionals[0]
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
                throw UsageError("--preset must be one of lan, wan, local, memberlist (got '\(name)')")
            }
            scenario.apply(preset: preset)
        }
        if arguments.has("no-lifeguard") { scenario.settings.lifeguard = false }
        let runs = try arguments.integer("seeds", default: 1, in: 1...100_000)
        var failed = 0
        for run in 0..<runs {
            var current = scenario
            if run > 0 { current = try reseeded(path: path, seed: scenario.seed &+ UInt64(run), base: scenario) }
            let report = Simulation(scenario: current).run()
            if runs > 1 {
                print("seed \(report.seed) trace \(report.traceHash) violations \(report.invariantViolations)"
                      + " converged \(report.convergedAfterSeconds.map { String($0) } ?? "no")")
            } else {
                print(arguments.has("json") ? report.jsonValue.serialized() : report.text)
            }
            if report.invariantViolations > 0 {
                failed += 1
                printError("seed \(report.seed) failed \(report.invariantViolations) invariant check(s); replay: \(report.replayCommand(path: path))")
            }
        }
        return failed == 0 ? 0 : 1
    }

    /// The scenario parsed again with another seed, so generated faults follow the new seed too.
    static func reseeded(path: String, seed: UInt64, base: Scenario) throws -> Scenario {
        guard let data = FileManager.default.contents(atPath: path),
              var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw UsageError("cannot read scenario file '\(path)'")
        }
        object["seed"] = seed
        var scenario = try Scenario.parse(try JSONSerialization.data(withJSONObject: object), name: base.name)
        if scenario.preset != base.preset { scenario.apply(preset: base.preset) }
        scenario.settings.lifeguard = base.settings.lifeguard
        return scenario
    }
}
