import MeshCore

/// What one simulation run measured. Times are simulated seconds from the fault (a crash) or the
/// update they belong to.
public struct SimulationReport: Sendable {
    /// The scenario's name (its file name).
    public var scenario: String = ""
    /// The seed of this run.
    public var seed: UInt64 = 0
    /// FNV-1a over everything delivered and every directive, in order: same seed and code, same hash.
    public var traceHash: String = ""
    /// Mesh size.
    public var nodes: Int = 0
    /// The membership preset's name.
    public var preset: String = ""
    /// Whether Lifeguard was on.
    public var lifeguard: Bool = true
    /// The preset's probe interval.
    public var probeIntervalSeconds: Double = 0
    /// Virtual time when the run ended.
    public var simulatedSeconds: Double = 0
    /// Real time the run took.
    public var wallSeconds: Double = 0
    /// Events the world processed.
    public var eventsProcessed: Int = 0
    /// Crashes measured.
    public var crashes: Int = 0
    /// Crashes every observer saw dead before the victim restarted.
    public var crashesDetected: Int = 0
    /// Crashes some observer did not see dead before the restart (or the end): infinitely late in the quantiles.
    public var crashesUndetected: Int = 0
    /// Mean time from a crash to its first suspicion anywhere, over the crashes suspected at all.
    public var firstSuspectMeanSeconds: Double?
    /// Median time from a crash until every observer marked the victim dead; `+infinity` when it lands on an undetected crash.
    public var deadEverywhereMedianSeconds: Double?
    /// The 90th and 99th percentiles of the same.
    public var deadEverywhereP90Seconds: Double?
    public var deadEverywhereP99Seconds: Double?
    /// Per crash, the time until the median observer marked the victim dead (the mean of the middle
    /// two for an even count; what `mesh bench detect` reports as `detect_s` per run): its median
    /// and 90th percentile over crashes, to set beside real nodes.
    public var deadMedianObserverMedianSeconds: Double?
    public var deadMedianObserverP90Seconds: Double?
    /// The largest of the same (infinite when any crash went undetected).
    public var deadEverywhereMaxSeconds: Double?
    /// Distinct (member, incarnation) suspicions raised by a failed probe of a member that was up,
    /// not paused, and reachable both ways from the prober.
    public var falseSuspectCount: Int = 0
    /// Times an unimpaired node marked such a member suspect (own probe, gossip or sync).
    public var falseSuspectObservations: Int = 0
    /// Suspicions of up members raised by unimpaired nodes' own failed probes, and how many of
    /// those were of an impaired (starved or paused) member; and raised by impaired nodes.
    public var falseSuspicionsRaised: Int = 0
    /// Of `falseSuspicionsRaised`, those about a starved or paused member.
    public var falseSuspicionsRaisedAboutImpaired: Int = 0
    /// False suspicions raised by starved or paused nodes.
    public var falseSuspicionsRaisedByImpaired: Int = 0
    /// Distinct (member, incarnation) deaths declared (suspicion ran out) of such a member.
    public var falseDeadCount: Int = 0
    /// The first false deaths, described.
    public var falseDeathNotes: [String] = []
    /// Update deliveries measured (per update, per node up when it was announced).
    public var disseminationSamples: Int = 0
    /// Deliveries that never happened: infinitely late in the quantiles.
    public var disseminationMissing: Int = 0
    /// Median time for an update to reach a node.
    public var disseminationP50Seconds: Double?
    /// The 99th percentile of the same.
    public var disseminationP99Seconds: Double?
    /// The 99.99th percentile of the same.
    public var disseminationP9999Seconds: Double?
    /// The largest datagram sent.
    public var maxDatagramBytes: Int = 0
    /// Datagrams with 28 bytes of IPv4+UDP headers, plus streams with 400 bytes of TCP overhead each.
    public var bytesPerNodePerSecond: Double = 0
    /// Datagram and stream bytes per node and second, without headers.
    public var payloadBytesPerNodePerSecond: Double = 0
    /// Datagrams per node and second.
    public var datagramsPerNodePerSecond: Double = 0
    /// Streams opened per node and second.
    public var streamsPerNodePerSecond: Double = 0
    /// Timeline actions performed, by kind.
    public var faultsInjected: [(String, Int)] = []
    /// Datagrams by the kind of their first message.
    public var datagramsByKind: [(String, Int)] = []
    /// When liveness held, after the faults stopped; nil when it never did within the bound.
    public var convergedAfterSeconds: Double?
    /// How long liveness had to hold after the faults stopped.
    public var convergenceBoundSeconds: Double = 0
    /// Safety and liveness violations: any fails the run.
    public var invariantViolations: Int = 0
    /// The first violations, described.
    public var violations: [String] = []
    /// Input the running nodes dropped, by reason.
    public var drops: [(String, UInt64)] = []
    /// Datagrams the next-version nodes sent rewritten (see NextVersion.swift).
    public var nextVersionDatagrams = 0
    /// Messages of unknown kinds the running nodes skipped (the `unknownMessageType` drops).
    public var unknownMessagesSkipped: Int {
        Int(clamping: drops.first { $0.0 == DropReason.unknownMessageType.rawValue }?.1 ?? 0)
    }
    /// Figures of the layers beyond membership (name, value), in the order their measurements
    /// reported them. A value is nil when the run has no sample of it.
    public var layerFigures: [(name: String, value: Double?)] = []
    /// The scenario's promises, each checked against this run.
    public var promises: [PromiseResult] = []

    /// The promises this run broke.
    public var brokenPromises: [PromiseResult] { promises.filter { !$0.kept } }

    /// True when no invariant broke and every promise was kept: the run passed.
    public var passed: Bool { invariantViolations == 0 && brokenPromises.isEmpty }

    /// The command that replays this run.
    public func replayCommand(path: String) -> String {
        "mesh sim \(path) --seed \(seed) --preset \(preset)" + (lifeguard ? "" : " --no-lifeguard")
    }
}
