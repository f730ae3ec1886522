/// Round-trip time estimation for the adaptive failure detector (issue 11).
///
/// Each node keeps, per member, the smoothed round-trip time (SRTT) and its mean deviation
/// (RTTVAR) of its own direct probes, exactly as TCP does for its retransmission timeout
/// (RFC 6298 §2, with α = 1/8 and β = 1/4):
///
/// ```
/// first sample R:   SRTT = R,   RTTVAR = R / 2
/// each later R:     RTTVAR = 3/4 · RTTVAR + 1/4 · |SRTT − R|
///                   SRTT   = 7/8 · SRTT   + 1/8 · R
/// ```
///
/// A sample is the time from sending a ping to handling its ack. Karn's rule: a probe whose ping
/// was sent twice (the second direct ping of the indirect phase) or that was answered through a
/// relay gives no sample, because the ack cannot be matched to one send.
public struct RoundTripEstimate: Sendable, Equatable {
    /// SRTT.
    public private(set) var smoothed: Nanoseconds
    /// RTTVAR: the smoothed mean deviation of the samples from SRTT.
    public private(set) var variation: Nanoseconds
    /// Samples taken so far (saturating).
    public private(set) var samples: Int

    /// The largest sample believed: a longer round trip (a paused process, a clock jump) is counted
    /// as this long, so one absurd sample cannot stretch the estimate without bound.
    public static let sampleMax: Nanoseconds = .seconds(30)

    /// The estimate after its first sample.
    public init(firstSample: Nanoseconds) {
        let sample = Self.clamped(firstSample)
        smoothed = sample
        variation = sample / 2
        samples = 1
    }

    /// Folds in one more sample (RFC 6298 §2.3).
    public mutating func add(_ rawSample: Nanoseconds) {
        let sample = Self.clamped(rawSample)
        let deviation = smoothed > sample ? smoothed - sample : sample - smoothed
        variation = (3 * variation + deviation) / 4
        smoothed = (7 * smoothed + sample) / 8
        samples = samples < Int.max ? samples + 1 : samples
    }

    /// `SRTT + k · RTTVAR`: a round trip longer than this is unlikely (k = 4 in RFC 6298).
    public func upperBound(deviations: Int) -> Nanoseconds {
        smoothed + Nanoseconds(max(0, deviations)) * variation
    }

    static func clamped(_ sample: Nanoseconds) -> Nanoseconds { min(max(0, sample), sampleMax) }
}

/// The estimates of one node, by member name, and the slowest of them.
///
/// Lookups only: nothing iterates the dictionary (the slowest is found by walking the member
/// table), so Swift's per-process hash seed decides nothing.
public struct RoundTripTable: Sendable {
    private var byName: [String: RoundTripEstimate] = [:]
    /// The member with the largest SRTT, when known; nil after that member's estimate fell or it
    /// was forgotten, until the next walk.
    private var slowest: (name: String, smoothed: Nanoseconds)?
    private var isSlowestStale = false

    /// Members this node keeps estimates for: bounded by the member table (an estimate is created
    /// only for a member in it and dropped when the member is forgotten).
    public var count: Int { byName.count }

    public init() {}

    /// The estimate for `name`, nil before the first sample.
    public subscript(name: String) -> RoundTripEstimate? { byName[name] }

    /// Records one sample for `name`.
    mutating func add(_ sample: Nanoseconds, for name: String) {
        let estimate: RoundTripEstimate
        if var known = byName[name] {
            known.add(sample)
            estimate = known
        } else {
            estimate = RoundTripEstimate(firstSample: sample)
        }
        byName[name] = estimate
        if let current = slowest, !isSlowestStale {
            if estimate.smoothed >= current.smoothed {
                slowest = (name, estimate.smoothed)
            } else if current.name == name {
                isSlowestStale = true
            }
        } else if slowest == nil && !isSlowestStale {
            slowest = (name, estimate.smoothed)
        }
    }

    /// Forgets `name` (the member was forgotten).
    mutating func remove(_ name: String) {
        guard byName.removeValue(forKey: name) != nil else { return }
        if slowest?.name == name { isSlowestStale = true }
    }

    /// The largest SRTT over `members` (walked in table order when the cached one went stale).
    mutating func slowestSmoothed(over members: MemberTable) -> Nanoseconds? {
        if isSlowestStale {
            slowest = nil
            for member in members.members {
                guard let estimate = byName[member.name] else { continue }
                if slowest == nil || estimate.smoothed > slowest!.smoothed { slowest = (member.name, estimate.smoothed) }
            }
            isSlowestStale = false
        }
        return slowest?.smoothed
    }
}
