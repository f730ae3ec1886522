import MeshRuntime
import MeshSimulator
import MeshCore

extension SimulationReport {
    /// The report as one JSON object for `mesh sim --json`: keys in a fixed order, counts as
    /// integers. A figure is null when the run has no sample of it or when it is infinitely late
    /// (a quantile that lands on an undetected crash or a missing delivery; see the counts
    /// `crashesUndetected` and `disseminationMissing` beside it).
    var jsonValue: JSONValue {
        func seconds(_ value: Double?) -> JSONValue { value.map { .number($0) } ?? .null }
        func count(_ value: Int) -> JSONValue { .integer(Int64(value)) }
        func counts(_ pairs: [(String, Int)]) -> JSONValue { .object(pairs.map { ($0.0, count($0.1)) }) }
        func strings(_ list: [String]) -> JSONValue { .array(list.map { .string($0) }) }
        return .object([
            ("scenario", .string(scenario)), ("seed", .integer(Int64(bitPattern: seed))),
            ("traceHash", .string(traceHash)), ("nodes", count(nodes)), ("preset", .string(preset)),
            ("lifeguard", .bool(lifeguard)), ("probeIntervalSeconds", .number(probeIntervalSeconds)),
            ("simulatedSeconds", .number(simulatedSeconds)), ("wallSeconds", .number(wallSeconds)),
            ("eventsProcessed", count(eventsProcessed)),
            ("crashes", count(crashes)), ("crashesDetected", count(crashesDetected)),
            ("crashesUndetected", count(crashesUndetected)),
            ("firstSuspectMeanSeconds", seconds(firstSuspectMeanSeconds)),
            ("deadEverywhereMedianSeconds", seconds(deadEverywhereMedianSeconds)),
            ("deadEverywhereP99Seconds", seconds(deadEverywhereP99Seconds)),
            ("deadEverywhereMaxSeconds", seconds(deadEverywhereMaxSeconds)),
            ("falseSuspectCount", count(falseSuspectCount)),
            ("falseSuspectObservations", count(falseSuspectObservations)),
            ("falseSuspicionsRaised", count(falseSuspicionsRaised)),
            ("falseSuspicionsRaisedAboutImpaired", count(falseSuspicionsRaisedAboutImpaired)),
            ("falseSuspicionsRaisedByImpaired", count(falseSuspicionsRaisedByImpaired)),
            ("falseDeadCount", count(falseDeadCount)), ("falseDeathNotes", strings(falseDeathNotes)),
            ("disseminationSamples", count(disseminationSamples)),
            ("disseminationMissing", count(disseminationMissing)),
            ("disseminationP50Seconds", seconds(disseminationP50Seconds)),
            ("disseminationP99Seconds", seconds(disseminationP99Seconds)),
            ("disseminationP9999Seconds", seconds(disseminationP9999Seconds)),
            ("maxDatagramBytes", count(maxDatagramBytes)),
            ("bytesPerNodePerSecond", .number(bytesPerNodePerSecond)),
            ("payloadBytesPerNodePerSecond", .number(payloadBytesPerNodePerSecond)),
            ("datagramsPerNodePerSecond", .number(datagramsPerNodePerSecond)),
            ("streamsPerNodePerSecond", .number(streamsPerNodePerSecond)),
            ("faultsInjected", counts(faultsInjected)), ("datagramsByKind", counts(datagramsByKind)),
            ("convergedAfterSeconds", seconds(convergedAfterSeconds)),
            ("convergenceBoundSeconds", .number(convergenceBoundSeconds)),
            ("invariantViolations", count(invariantViolations)), ("violations", strings(violations)),
            ("drops", .object(drops.map { ($0.0, .integer(Int64(bitPattern: $0.1))) })),
            ("nextVersionDatagrams", count(nextVersionDatagrams)),
            ("unknownMessagesSkipped", count(unknownMessagesSkipped)),
            ("layerFigures", .object(layerFigures.map { ($0.name, seconds($0.value)) })),
            ("passed", .bool(passed)),
            ("promisesBroken", count(brokenPromises.count)),
            ("promises", .array(promises.map(\.jsonValue))),
        ])
    }
}

extension PromiseResult {
    /// `{"key": …, "figure": …, "bound": "<=", "promised": 3, "actual": 2.4 or null, "kept": true}`.
    var jsonValue: JSONValue {
        .object([("key", .string(promise.key)), ("figure", .string(promise.figure)),
                 ("bound", .string(promise.bound.rawValue)), ("promised", .number(promise.value)),
                 ("actual", .optional(actual)), ("kept", .bool(kept))])
    }
}
