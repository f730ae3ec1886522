import MeshCore

extension MeshCommandLine {
    static let simCommand = Command(
        name: "sim", summary: "run a simulation scenario and print its report",
        usage: "sim FILE [--seed N] [--preset P] [--json]",
        options: [.value("seed", "N", "random seed (default: the scenario's)"),
                  .value("preset", "P", "membership preset: lan, wan, local, memberlist"),
                  .flag("json", "print the report as one JSON object")]) { _ in
        throw UsageError("sim: not built yet")
    }
}
