import MeshCore

/// What one simulation run measured. Times are simulated seconds from the fault (a crash) or the
/// update they belong to.
public struct SimulationReport: Sendable {
    public var scenario: String = ""
    public var seed: UInt64 = 0
    public var traceHash: String = ""
    public var nodes: Int = 0
    public var preset: String = ""
    public var lifeguard: Bool = true
    public var probeIntervalSeconds: Double = 0
    public var simulatedSeconds: Double = 0
    public var wallSeconds: Double = 0
    public var eventsProcessed: Int = 0
    public var crashes: Int = 0
    public var crashesDetected: Int = 0
    public var crashesUndetected: Int = 0
    public var firstSuspectMeanSeconds: Double?
    public var deadEverywhereMedianSeconds: Double?
    public var deadEverywhereP99Seconds: Double?
    public var deadEverywhereMaxSeconds: Double?
    /// Distinct (member, incarnation) suspicions raised by a failed probe of a member that was up,
    /// not paused, and reachable both ways from the prober.
    public var falseSuspectCount: Int = 0
    /// Times an unimpaired node marked such a member suspect (own probe, gossip or sync).
    public var falseSuspectObservations: Int = 0
    /// Suspicions of up members raised by unimpaired nodes' own failed probes, and how many of
    /// those were of an impaired (starved or paused) member; and raised by impaired nodes.
    public var falseSuspicionsRaised: Int = 0
    public var falseSuspicionsRaisedAboutImpaired: Int = 0
    public var falseSuspicionsRaisedByImpaired: Int = 0
    /// Distinct (member, incarnation) deaths declared (suspicion ran out) of such a member.
    public var falseDeadCount: Int = 0
    public var falseDeathNotes: [String] = []
    public var disseminationSamples: Int = 0
    public var disseminationMissing: Int = 0
    public var disseminationP50Seconds: Double?
    public var disseminationP99Seconds: Double?
    public var disseminationP9999Seconds: Double?
    public var maxDatagramBytes: Int = 0
    /// Datagrams with 28 bytes of IPv4+UDP headers, plus streams with 400 bytes of TCP overhead each.
    public var bytesPerNodePerSecond: Double = 0
    public var payloadBytesPerNodePerSecond: Double = 0
    public var datagramsPerNodePerSecond: Double = 0
    public var streamsPerNodePerSecond: Double = 0
    public var faultsInjected: [(String, Int)] = []
    /// Datagrams by the kind of their first message.
    public var datagramsByKind: [(String, Int)] = []
    public var convergedAfterSeconds: Double?
    public var convergenceBoundSeconds: Double = 0
    public var invariantViolations: Int = 0
    public var violations: [String] = []
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
