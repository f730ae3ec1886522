import MeshCore

/// What one simulation run measured. Times are simulated seconds from the fault (a crash) or the
/// update they belong to.
public struct SimulationReport: Sendable {
    public var scenario: String
    public var seed: UInt64
    public var traceHash: String
    public var nodes: Int
    public var preset: String
    public var lifeguard: Bool
    public var probeIntervalSeconds: Double
    public var simulatedSeconds: Double
    public var wallSeconds: Double
    public var eventsProcessed: Int
    public var crashes: Int
    public var crashesDetected: Int
    public var crashesUndetected: Int
    public var firstSuspectMeanSeconds: Double?
    public var deadEverywhereMedianSeconds: Double?
    public var deadEverywhereP99Seconds: Double?
    public var deadEverywhereMaxSeconds: Double?
    /// Distinct (member, incarnation) suspicions raised by a failed probe of a member that was up,
    /// not paused, and reachable both ways from the prober.
    public var falseSuspectCount: Int
    /// Times an unimpaired node marked such a member suspect (own probe, gossip or sync).
    public var falseSuspectObservations: Int
    /// Suspicions of up members raised by unimpaired nodes' own failed probes, and how many of
    /// those were of an impaired (starved or paused) member; and raised by impaired nodes.
    public var falseSuspicionsRaised: Int
    public var falseSuspicionsRaisedAboutImpaired: Int
    public var falseSuspicionsRaisedByImpaired: Int
    /// Distinct (member, incarnation) deaths declared (suspicion ran out) of such a member.
    public var falseDeadCount: Int
    public var falseDeathNotes: [String]
    public var disseminationSamples: Int
    public var disseminationMissing: Int
    public var disseminationP50Seconds: Double?
    public var disseminationP99Seconds: Double?
    public var disseminationP9999Seconds: Double?
    public var maxDatagramBytes: Int
    /// Datagrams with 28 bytes of IPv4+UDP headers, plus streams with 400 bytes of TCP overhead each.
    public var bytesPerNodePerSecond: Double
    public var payloadBytesPerNodePerSecond: Double
    public var datagramsPerNodePerSecond: Double
    public var streamsPerNodePerSecond: Double
    public var faultsInjected: [(String, Int)]
    /// Datagrams by the kind of their first message.
    public var datagramsByKind: [(String, Int)]
    public var convergedAfterSeconds: Double?
    public var convergenceBoundSeconds: Double
    public var invariantViolations: Int
    public var violations: [String]
    public var drops: [(String, UInt64)]

    /// The command that replays this run.
    public func replayCommand(path: String) -> String {
        "mesh sim \(path) --seed \(seed) --preset \(preset)" + (lifeguard ? "" : " --no-lifeguard")
    }
}

extension Simulation {
    static let ipUDPHeaderBytes = 28
    static let tcpStreamOverheadBytes = 400

    func makeReport(wallSeconds: Double) -> SimulationReport {
        let m = measurements
        let simulated = Double(now) / 1e9
        let perNodeSecond = 1 / (Double(scenario.nodes) * max(simulated, 1e-9))
        let completed = m.crashes.compactMap { c in c.completedAt.map { $0 - c.at } }
        let firstSuspects = m.crashes.compactMap { c in c.firstSuspectAt.map { $0 - c.at } }
        func s(_ ns: Int64?) -> Double? { ns.map { Double($0) / 1e9 } }
        var drops: [DropReason: UInt64] = [:]
        for node in nodes { if let i = node.instance { for (r, n) in i.drops.nonZero { drops[r, default: 0] += n } } }
        let missing = m.disseminationMissing + m.disseminations.values.reduce(0) { $0 + $1.waiting.count }
        let undetected = m.crashes.filter { $0.completedAt == nil }.count
        return SimulationReport(
            scenario: scenario.name, seed: scenario.seed, traceHash: trace.hex, nodes: scenario.nodes,
            preset: scenario.preset.rawValue, lifeguard: scenario.settings.lifeguard,
            probeIntervalSeconds: Double(scenario.settings.probeInterval) / 1e9,
            simulatedSeconds: simulated, wallSeconds: wallSeconds, eventsProcessed: eventsProcessed,
            crashes: m.crashes.count, crashesDetected: completed.count, crashesUndetected: undetected,
            firstSuspectMeanSeconds: firstSuspects.isEmpty ? nil : Double(firstSuspects.reduce(0, +)) / Double(firstSuspects.count) / 1e9,
            deadEverywhereMedianSeconds: s(completed.median), deadEverywhereP99Seconds: s(completed.quantile(0.99)),
            deadEverywhereMaxSeconds: s(completed.max()),
            falseSuspectCount: m.falseSuspectEpisodes.count, falseSuspectObservations: m.falseSuspectObservations,
            falseSuspicionsRaised: m.falseSuspicionsRaised,
            falseSuspicionsRaisedAboutImpaired: m.falseSuspicionsRaisedAboutImpaired,
            falseSuspicionsRaisedByImpaired: m.falseSuspicionsRaisedByImpaired,
            falseDeadCount: m.falseDeadEpisodes.count, falseDeathNotes: m.falseDeathNotes,
            disseminationSamples: m.disseminationSamples.count, disseminationMissing: missing,
            disseminationP50Seconds: s(m.disseminationSamples.quantile(0.5)),
            disseminationP99Seconds: s(m.disseminationSamples.quantile(0.99)),
            disseminationP9999Seconds: s(m.disseminationSamples.quantile(0.9999)),
            maxDatagramBytes: m.maxDatagramBytes,
            bytesPerNodePerSecond: Double(m.datagramBytes + m.datagrams * Simulation.ipUDPHeaderBytes
                                          + m.streamBytes + m.streams * Simulation.tcpStreamOverheadBytes) * perNodeSecond,
            payloadBytesPerNodePerSecond: Double(m.datagramBytes + m.streamBytes) * perNodeSecond,
            datagramsPerNodePerSecond: Double(m.datagrams) * perNodeSecond,
            streamsPerNodePerSecond: Double(m.streams) * perNodeSecond,
            faultsInjected: m.faults.keys.sorted().map { ($0, m.faults[$0]!) },
            datagramsByKind: m.datagramsByKind.indices.compactMap { i in
                m.datagramsByKind[i] > 0 ? (Message.Kind(rawValue: UInt8(i)).map { "\($0)" } ?? "kind\(i)", m.datagramsByKind[i]) : nil
            },
            convergedAfterSeconds: convergedAt.map { Double($0 - scenario.duration) / 1e9 },
            convergenceBoundSeconds: Double(scenario.convergenceBound) / 1e9,
            invariantViolations: m.violationCount, violations: m.violations,
            drops: drops.keys.sorted().map { ($0.rawValue, drops[$0]!) })
    }
}

extension SimulationReport {
    /// A readable report for people.
    public var text: String {
        func f(_ v: Double?, _ digits: Int = 3) -> String {
            guard let v else { return "-" }
            return decimal(v, digits: digits)
        }
        var lines: [String] = []
        lines.append("scenario \(scenario): \(nodes) nodes, preset \(preset)\(lifeguard ? "" : " (Lifeguard off)"), seed \(seed)")
        lines.append("  simulated \(f(simulatedSeconds, 1)) s in \(f(wallSeconds, 2)) s wall (\(eventsProcessed) events), trace \(traceHash)")
        if crashes > 0 {
            lines.append("  crashes \(crashes): detected everywhere \(crashesDetected), not before restart \(crashesUndetected)")
            lines.append("  first suspicion mean \(f(firstSuspectMeanSeconds)) s; dead everywhere median \(f(deadEverywhereMedianSeconds)) s, p99 \(f(deadEverywhereP99Seconds)) s, max \(f(deadEverywhereMaxSeconds)) s")
        }
        lines.append("  false suspicions \(falseSuspectCount) (observed \(falseSuspectObservations), raised by healthy nodes \(falseSuspicionsRaised), of which of impaired nodes \(falseSuspicionsRaisedAboutImpaired); raised by impaired nodes \(falseSuspicionsRaisedByImpaired)); false deaths \(falseDeadCount)")
        for note in falseDeathNotes { lines.append("    false death: \(note)") }
        if disseminationSamples + disseminationMissing > 0 {
            lines.append("  dissemination: \(disseminationSamples) samples, \(disseminationMissing) missing; p50 \(f(disseminationP50Seconds)) s, p99 \(f(disseminationP99Seconds)) s, p99.99 \(f(disseminationP9999Seconds)) s")
        }
        lines.append("  traffic per node: \(f(bytesPerNodePerSecond, 1)) B/s with headers, \(f(payloadBytesPerNodePerSecond, 1)) B/s payload, \(f(datagramsPerNodePerSecond, 2)) datagrams/s, largest datagram \(maxDatagramBytes) B")
        lines.append("  datagrams by first message: " + datagramsByKind.map { "\($0.0) \($0.1)" }.joined(separator: ", "))
        lines.append("  faults: " + (faultsInjected.isEmpty ? "none" : faultsInjected.map { "\($0.0) \($0.1)" }.joined(separator: ", ")))
        lines.append("  converged " + (convergedAfterSeconds.map { "\(f($0, 1)) s after the faults stopped" } ?? "NOT within the bound") + " (bound \(f(convergenceBoundSeconds, 0)) s)")
        if !drops.isEmpty { lines.append("  drops: " + drops.map { "\($0.0) \($0.1)" }.joined(separator: ", ")) }
        lines.append("  invariant violations: \(invariantViolations)")
        for v in violations { lines.append("    \(v)") }
        return lines.joined(separator: "\n")
    }
}

/// `value` rounded to `digits` decimals, for the text report.
func decimal(_ value: Double, digits: Int) -> String {
    guard value.isFinite else { return "-" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    if rounded == rounded.rounded() && abs(rounded) < 1e15 { return String(Int64(rounded)) + (digits > 0 ? ".0" : "") }
    return String(rounded)
}
