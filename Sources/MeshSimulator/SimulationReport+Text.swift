import MeshCore

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
