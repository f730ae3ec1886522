import MeshCore
import MeshRuntime
import MeshSimulator

extension SimulationReport {
    /// The report as one JSON object for `mesh sim --json`: keys in a fixed order, counts as
    /// integers. A figure is null when the run has no sample of it or when it is infinitely late
    /// (a quantile that lands on an undetected crash or a missing delivery; see the counts
    /// `crashesUndetected` and `disseminationMissing` beside it).
    var jsonValue: JSONValue { .object(runFields + membershipFields + worldFields) }

    private var runFields: [(String, JSONValue)] {
        [("scenario", .string(scenario)), ("seed", .integer(Int64(bitPattern: seed))),
         ("traceHash", .string(traceHash)), ("nodes", Self.count(nodes)), ("preset", .string(preset)),
         ("lifeguard", .bool(lifeguard)), ("probeIntervalSeconds", .number(probeIntervalSeconds)),
         ("simulatedSeconds", .number(simulatedSeconds)), ("wallSeconds", .number(wallSeconds)),
         ("eventsProcessed", Self.count(eventsProcessed))]
    }

    private var membershipFields: [(String, JSONValue)] {
        [("crashes", Self.count(crashes)), ("crashesDetected", Self.count(crashesDetected)),
         ("crashesUndetected", Self.count(crashesUndetected)),
         ("firstSuspectMeanSeconds", Self.figure(firstSuspectMeanSeconds)),
         ("deadEverywhereMedianSeconds", Self.figure(deadEverywhereMedianSeconds)),
         ("deadEverywhereP90Seconds", Self.figure(deadEverywhereP90Seconds)),
         ("deadEverywhereP99Seconds", Self.figure(deadEverywhereP99Seconds)),
         ("deadMedianObserverMedianSeconds", Self.figure(deadMedianObserverMedianSeconds)),
         ("deadMedianObserverP90Seconds", Self.figure(deadMedianObserverP90Seconds)),
         ("deadEverywhereMaxSeconds", Self.figure(deadEverywhereMaxSeconds)),
         ("falseSuspectCount", Self.count(falseSuspectCount)),
         ("falseSuspectObservations", Self.count(falseSuspectObservations)),
         ("falseSuspicionsRaised", Self.count(falseSuspicionsRaised)),
         ("falseSuspicionsRaisedAboutImpaired", Self.count(falseSuspicionsRaisedAboutImpaired)),
         ("falseSuspicionsRaisedByImpaired", Self.count(falseSuspicionsRaisedByImpaired)),
         ("falseDeadCount", Self.count(falseDeadCount)), ("falseDeathNotes", Self.strings(falseDeathNotes)),
         ("disseminationSamples", Self.count(disseminationSamples)),
         ("disseminationMissing", Self.count(disseminationMissing)),
         ("disseminationP50Seconds", Self.figure(disseminationP50Seconds)),
         ("disseminationP99Seconds", Self.figure(disseminationP99Seconds)),
         ("disseminationP9999Seconds", Self.figure(disseminationP9999Seconds))]
    }

    private var worldFields: [(String, JSONValue)] {
        [("maxDatagramBytes", Self.count(maxDatagramBytes)),
         ("bytesPerNodePerSecond", .number(bytesPerNodePerSecond)),
         ("payloadBytesPerNodePerSecond", .number(payloadBytesPerNodePerSecond)),
         ("datagramsPerNodePerSecond", .number(datagramsPerNodePerSecond)),
         ("streamsPerNodePerSecond", .number(streamsPerNodePerSecond)),
         ("faultsInjected", Self.counts(faultsInjected)), ("datagramsByKind", Self.counts(datagramsByKind)),
         ("convergedAfterSeconds", Self.figure(convergedAfterSeconds)),
         ("convergenceBoundSeconds", .number(convergenceBoundSeconds)),
         ("invariantViolations", Self.count(invariantViolations)), ("violations", Self.strings(violations)),
         ("drops", .object(drops.map { ($0.0, .integer(Int64(bitPattern: $0.1))) })),
         ("nextVersionDatagrams", Self.count(nextVersionDatagrams)),
         ("unknownMessagesSkipped", Self.count(unknownMessagesSkipped)),
         ("layerFigures", .object(layerFigures.map { ($0.name, Self.figure($0.value)) })),
         ("passed", .bool(passed)),
         ("promisesBroken", Self.count(brokenPromises.count)),
         ("promises", .array(promises.map(\.jsonValue)))]
    }

    /// A figure: null without a sample or when infinitely late (the writer prints non-finite as null).
    private static func figure(_ value: Double?) -> JSONValue { value.map { .number($0) } ?? .null }
    private static func count(_ value: Int) -> JSONValue { .integer(Int64(value)) }
    private static func counts(_ pairs: [(String, Int)]) -> JSONValue { .object(pairs.map { ($0.0, count($0.1)) }) }
    private static func strings(_ list: [String]) -> JSONValue { .array(list.map { .string($0) }) }
}

extension PromiseResult {
    /// `{"key": …, "figure": …, "bound": "<=", "promised": 3, "actual": 2.4 or null, "kept": true}`.
    var jsonValue: JSONValue {
        .object([("key", .string(promise.key)), ("figure", .string(promise.figure)),
                 ("bound", .string(promise.bound.rawValue)), ("promised", .number(promise.value)),
                 ("actual", .optional(actual)), ("kept", .bool(kept))])
    }
}
