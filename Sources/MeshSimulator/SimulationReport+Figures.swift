/// The figures of a report by name: what a scenario's promises (`"expect"`) can refer to.
extension SimulationReport {
    /// Reads one figure; nil when the run has no sample of it (no crash, no update), `+infinity`
    /// when it is infinitely late (a quantile that lands on a missing sample; no convergence).
    typealias FigureReader = @Sendable (SimulationReport) -> Double?

    /// Every figure of the membership layer and the world, in report order.
    static let figureReaders: [(name: String, read: FigureReader)] = [
        ("crashes", { Double($0.crashes) }),
        ("crashesDetected", { Double($0.crashesDetected) }),
        ("crashesUndetected", { Double($0.crashesUndetected) }),
        ("firstSuspectMeanSeconds", { $0.firstSuspectMeanSeconds }),
        ("deadEverywhereMedianSeconds", { $0.deadEverywhereMedianSeconds }),
        ("deadEverywhereP90Seconds", { $0.deadEverywhereP90Seconds }),
        ("deadEverywhereP99Seconds", { $0.deadEverywhereP99Seconds }),
        ("deadMedianObserverMedianSeconds", { $0.deadMedianObserverMedianSeconds }),
        ("deadMedianObserverP90Seconds", { $0.deadMedianObserverP90Seconds }),
        ("deadEverywhereMaxSeconds", { $0.deadEverywhereMaxSeconds }),
        ("falseSuspectCount", { Double($0.falseSuspectCount) }),
        ("falseSuspectObservations", { Double($0.falseSuspectObservations) }),
        ("falseSuspicionsRaised", { Double($0.falseSuspicionsRaised) }),
        ("falseSuspicionsRaisedAboutImpaired", { Double($0.falseSuspicionsRaisedAboutImpaired) }),
        ("falseSuspicionsRaisedByImpaired", { Double($0.falseSuspicionsRaisedByImpaired) }),
        ("falseDeadCount", { Double($0.falseDeadCount) }),
        ("disseminationSamples", { Double($0.disseminationSamples) }),
        ("disseminationMissing", { Double($0.disseminationMissing) }),
        ("disseminationP50Seconds", { $0.disseminationP50Seconds }),
        ("disseminationP99Seconds", { $0.disseminationP99Seconds }),
        ("disseminationP9999Seconds", { $0.disseminationP9999Seconds }),
        ("maxDatagramBytes", { Double($0.maxDatagramBytes) }),
        ("bytesPerNodePerSecond", { $0.bytesPerNodePerSecond }),
        ("payloadBytesPerNodePerSecond", { $0.payloadBytesPerNodePerSecond }),
        ("datagramsPerNodePerSecond", { $0.datagramsPerNodePerSecond }),
        ("streamsPerNodePerSecond", { $0.streamsPerNodePerSecond }),
        ("nextVersionDatagrams", { Double($0.nextVersionDatagrams) }),
        ("unknownMessagesSkipped", { Double($0.unknownMessagesSkipped) }),
        ("convergedAfterSeconds", { $0.convergedAfterSeconds ?? .infinity }),
        ("invariantViolations", { Double($0.invariantViolations) }),
    ]

    /// The figure called `name`: a membership or world figure, else one a layer reported.
    /// nil when the run has no sample of it.
    public func figure(_ name: String) -> Double? {
        if let reader = SimulationReport.figureReaders.first(where: { $0.name == name }) { return reader.read(self) }
        return layerFigures.first { $0.name == name }?.value
    }
}
