/// Lifeguard's dynamic suspicion timeout (Dadgar et al., "Lifeguard", §IV-B; memberlist suspicion.go).
///
/// A suspicion starts with the maximum timeout and falls towards the minimum as independent
/// confirmations (suspect messages from distinct members) arrive:
/// `timeout(C) = max(min, max − (max − min) · log(C + 1) / log(K + 1))`.
public struct Suspicion: Sendable {
    /// Who has accused the member at this incarnation (the first accuser included).
    public private(set) var accusers: [String]
    public let startedAt: Instant
    public let timeoutMin: Nanoseconds
    public let timeoutMax: Nanoseconds
    /// Confirmations that bring the timeout to its minimum.
    public let confirmationsExpected: Int

    public init(accuser: String, startedAt: Instant, timeoutMin: Nanoseconds, timeoutMax: Nanoseconds,
                confirmationsExpected: Int) {
        self.accusers = [accuser]
        self.startedAt = startedAt
        self.timeoutMin = timeoutMin
        self.timeoutMax = max(timeoutMin, timeoutMax)
        self.confirmationsExpected = max(0, confirmationsExpected)
    }

    /// Confirmations so far (accusers after the first).
    public var confirmations: Int { accusers.count - 1 }

    /// Records an accuser; true when it is a new, independent confirmation.
    public mutating func confirm(by accuser: String) -> Bool {
        guard confirmations < confirmationsExpected, !accusers.contains(accuser) else { return false }
        accusers.append(accuser)
        return true
    }

    /// The timeout for the confirmations so far.
    public var timeout: Nanoseconds {
        Suspicion.timeout(confirmations: confirmations, expected: confirmationsExpected,
                          min: timeoutMin, max: timeoutMax)
    }

    /// When the member is declared dead if nothing refutes the suspicion.
    public var deadline: Instant { startedAt + timeout }

    public static func timeout(confirmations: Int, expected: Int, min: Nanoseconds, max: Nanoseconds) -> Nanoseconds {
        guard expected > 0 else { return min }
        let fraction = MeshMath.log(Double(confirmations + 1)) / MeshMath.log(Double(expected + 1))
        let value = Double(max) - Double(max - min) * fraction
        return Swift.max(min, Nanoseconds(value.rounded(.down)))
    }

    /// Minimum suspicion timeout for a mesh of `members`: `multiplier · max(1, log10 n) · interval`.
    public static func timeoutMin(multiplier: Double, members: Int, probeInterval: Nanoseconds) -> Nanoseconds {
        let scale = Swift.max(1.0, MeshMath.log10(Double(Swift.max(1, members))))
        return Nanoseconds(multiplier * scale * Double(probeInterval))
    }
}

/// Lifeguard's local health multiplier (LHM, "awareness" in memberlist): a saturating counter
/// raised by evidence that *this* node is slow (missed acks, missing nacks, having to refute a
/// suspicion of itself) and lowered by successful probes. Probe interval and timeouts are scaled
/// by `score + 1`.
public struct LocalHealth: Sendable {
    public private(set) var score: Int = 0
    public let scoreMax: Int

    /// `multiplierMax` is the largest scale factor (score + 1); 1 disables the multiplier.
    public init(multiplierMax: Int) { self.scoreMax = Swift.max(0, multiplierMax - 1) }

    public mutating func apply(_ delta: Int) {
        score = Swift.min(scoreMax, Swift.max(0, score + delta))
    }

    /// `duration` stretched by the current health.
    public func scale(_ duration: Nanoseconds) -> Nanoseconds { duration * Nanoseconds(score + 1) }
}
