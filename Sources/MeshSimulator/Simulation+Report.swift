import MeshCore

extension Simulation {
    /// The report of the run so far: the world's own figures, then each measurement's.
    func makeReport(wallSeconds: Double) -> SimulationReport {
        var report = SimulationReport()
        report.scenario = scenario.name
        report.seed = scenario.seed
        report.traceHash = trace.hex
        report.nodes = scenario.nodes
        report.preset = scenario.preset.rawValue
        report.lifeguard = scenario.settings.lifeguard
        report.probeIntervalSeconds = Double(scenario.settings.probeInterval) / 1e9
        report.simulatedSeconds = Double(now) / 1e9
        report.wallSeconds = wallSeconds
        report.eventsProcessed = eventsProcessed
        report.faultsInjected = faultsInjected.keys.sorted().map { ($0, faultsInjected[$0]!) }
        report.convergedAfterSeconds = convergedAt.map { Double($0 - scenario.duration) / 1e9 }
        report.convergenceBoundSeconds = Double(scenario.convergenceBound) / 1e9
        report.invariantViolations = violations.count
        report.violations = violations.messages
        report.drops = dropsByReason()
        report.nextVersionDatagrams = nextVersionDatagrams
        for measurement in measurementList { measurement.report(into: &report, world: self) }
        report.promises = scenario.promises.map { $0.check(report) }
        return report
    }

    /// Datagrams and frames the running nodes dropped, summed by reason.
    func dropsByReason() -> [(String, UInt64)] {
        var drops: [DropReason: UInt64] = [:]
        for node in nodes {
            guard let instance = node.instance else { continue }
            for (reason, n) in instance.drops.nonZero { drops[reason, default: 0] += n }
        }
        return drops.keys.sorted().map { ($0.rawValue, drops[$0]!) }
    }
}
