import MeshCore

/// Everything a run measures and every safety invariant it checks, fed by the nodes' events.
struct Measurements {
    struct Crash {
        var victim: Int
        var at: Int64
        /// The victim's incarnation when it crashed: suspicions and deaths at or below it are about
        /// the crashed life.
        var incarnation: UInt64
        var observers: Set<Int>
        var detectedBy: [Int: Int64] = [:]
        var firstSuspectAt: Int64?
        var completedAt: Int64?
        var abandoned = false
    }

    struct Dissemination {
        var at: Int64
        var incarnation: UInt64
        var waiting: Set<Int>
    }

    var crashes: [Crash] = []
    var openCrashByVictim: [Int: Int] = [:]
    var disseminations: [Int: Dissemination] = [:]
    var disseminationSamples: [Int64] = []
    var disseminationMissing = 0

    var falseSuspectEpisodes: Set<UInt64> = []
    var falseDeadEpisodes: Set<UInt64> = []
    var falseSuspectObservations = 0
    var falseSuspicionsRaised = 0
    var falseSuspicionsRaisedAboutImpaired = 0
    var falseSuspicionsRaisedByImpaired = 0

    /// (observer << 32 | member) → last (incarnation, status) the observer reported.
    var views: [UInt64: (UInt64, MemberStatus)] = [:]
    var violations: [String] = []
    /// The first few false deaths, described, to start a diagnosis from.
    var falseDeathNotes: [String] = []
    var violationCount = 0

    var datagrams = 0
    var datagramBytes = 0
    var streams = 0
    var streamBytes = 0
    var maxDatagramBytes = 0
    /// Datagrams by the kind of their first message (index = wire tag).
    var datagramsByKind = Array(repeating: 0, count: 16)
    var faults: [String: Int] = [:]

    mutating func violation(_ message: String) {
        violationCount += 1
        if violations.count < 20 { violations.append(message) }
    }

    static func key(_ observer: Int, _ member: Int) -> UInt64 { UInt64(observer) << 32 | UInt64(member) }
}

extension Array where Element == Int64 {
    /// The q-quantile (0…1) by nearest rank; nil when empty.
    func quantile(_ q: Double) -> Int64? {
        guard !isEmpty else { return nil }
        let sorted = self.sorted()
        let rank = Swift.max(0, Swift.min(sorted.count - 1, Int((q * Double(sorted.count)).rounded(.up)) - 1))
        return sorted[rank]
    }

    var median: Int64? {
        guard !isEmpty else { return nil }
        let sorted = self.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
