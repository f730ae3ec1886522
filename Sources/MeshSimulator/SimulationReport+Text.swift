import MeshCore

extension SimulationReport {
    /// A readable report for people. A figure with no sample prints as "-", an infinitely late
    /// one (a quantile that lands on an undetected crash or a missing delivery) as "inf".
    public var text: String {
        var lines = [
            "scenario \(scenario): \(nodes) nodes, preset \(preset)\(lifeguard ? "" : " (Lifeguard off)"), seed \(seed)",
            "  simulated \(seconds(simulatedSeconds, 1)) s in \(seconds(wallSeconds, 2)) s wall (\(eventsProcessed) events), trace \(traceHash)",
        ]
        lines += membershipLines
        lines.append("  traffic per node: \(seconds(bytesPerNodePerSecond, 1)) B/s with headers, \(seconds(payloadBytesPerNodePerSecond, 1)) B/s payload, \(seconds(datagramsPerNodePerSecond, 2)) datagrams/s, largest datagram \(maxDatagramBytes) B")
        lines.append("  datagrams by first message: " + datagramsByKind.map { "\($0.0) \($0.1)" }.joined(separator: ", "))
        if nextVersionDatagrams > 0 {
            lines.append("  next version: \(nextVersionDatagrams) datagrams rewritten; messages of unknown kinds skipped by the running nodes: \(unknownMessagesSkipped)")
        }
        if !layerFigures.isEmpty {
            lines.append("  layer figures: " + layerFigures.map { "\($0.name) \(seconds($0.value))" }.joined(separator: ", "))
        }
        lines.append("  faults: " + (faultsInjected.isEmpty ? "none" : faultsInjected.map { "\($0.0) \($0.1)" }.joined(separator: ", ")))
        lines.append("  converged " + (convergedAfterSeconds.map { "\(seconds($0, 1)) s after the faults stopped" } ?? "NOT within the bound") + " (bound \(seconds(convergenceBoundSeconds, 0)) s)")
        if !drops.isEmpty { lines.append("  drops: " + drops.map { "\($0.0) \($0.1)" }.joined(separator: ", ")) }
        lines.append("  invariant violations: \(invariantViolations)")
        for v in violations { lines.append("    \(v)") }
        lines += promiseLines
        return lines.joined(separator: "\n")
    }

    /// Detection, false accusations and dissemination, with what never arrived beside the quantiles.
    private var membershipLines: [String] {
        var lines: [String] = []
        if crashes > 0 {
            lines.append("  crashes \(crashes): detected everywhere \(crashesDetected), not before restart \(crashesUndetected)")
            let late = crashesUndetected > 0 ? " (\(crashesUndetected) undetected count as infinitely late)" : ""
            lines.append("  first suspicion mean \(seconds(firstSuspectMeanSeconds)) s; dead everywhere median \(seconds(deadEverywhereMedianSeconds)) s, p90 \(seconds(deadEverywhereP90Seconds)) s, p99 \(seconds(deadEverywhereP99Seconds)) s, max \(seconds(deadEverywhereMaxSeconds)) s\(late)")
            lines.append("  dead at the median observer: median \(seconds(deadMedianObserverMedianSeconds)) s, p90 \(seconds(deadMedianObserverP90Seconds)) s")
        }
        lines.append("  false suspicions \(falseSuspectCount) (observed \(falseSuspectObservations), raised by healthy nodes \(falseSuspicionsRaised), of which of impaired nodes \(falseSuspicionsRaisedAboutImpaired); raised by impaired nodes \(falseSuspicionsRaisedByImpaired)); false deaths \(falseDeadCount)")
        for note in falseDeathNotes { lines.append("    false death: \(note)") }
        if disseminationSamples + disseminationMissing > 0 {
            let late = disseminationMissing > 0 ? " (missing count as infinitely late)" : ""
            lines.append("  dissemination: \(disseminationSamples) samples, \(disseminationMissing) missing; p50 \(seconds(disseminationP50Seconds)) s, p99 \(seconds(disseminationP99Seconds)) s, p99.99 \(seconds(disseminationP9999Seconds)) s\(late)")
        }
        return lines
    }

    /// "promises: 6 kept" or "promises: 5 kept, 1 BROKEN" and one line per broken promise.
    private var promiseLines: [String] {
        guard !promises.isEmpty else { return ["  promises: none declared"] }
        let broken = brokenPromises
        var lines = ["  promises: \(promises.count - broken.count) kept" + (broken.isEmpty ? "" : ", \(broken.count) BROKEN")]
        for result in broken { lines.append("    BROKEN \(result.promise.key): \(result.description)") }
        return lines
    }

    /// A figure for the text report: "-" without a sample, "inf" when infinitely late.
    private func seconds(_ value: Double?, _ digits: Int = 3) -> String {
        guard let value else { return "-" }
        return value.isFinite ? decimal(value, digits: digits) : "inf"
    }
}

/// `value` rounded to `digits` decimals, for the text report.
func decimal(_ value: Double, digits: Int) -> String {
    guard value.isFinite else { return value.isNaN ? "-" : "inf" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    if rounded == rounded.rounded() && abs(rounded) < 1e15 { return String(Int64(rounded)) + (digits > 0 ? ".0" : "") }
    return String(rounded)
}
