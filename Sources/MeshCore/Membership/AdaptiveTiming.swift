/// The adaptive failure detector's parameters and formulas (issue 11): the default detector sets
/// its probe, indirect-probe and suspicion timeouts from the round trips it measures
/// (`RoundTripEstimate`), so one configuration is right on a LAN and across continents.
///
/// With `U(m) = SRTT(m) + 4 · RTTVAR(m)` for a member m (RFC 6298's RTO, without its 1 s floor)
/// and `L` the local health multiplier (Lifeguard, 1…8):
///
/// ```
/// probe timeout(m)   = L · clamp(U(m), probeTimeoutMin, probeTimeoutMax)
/// indirect wait(m)   = L · (max over the helpers h asked of U(h) + U(m)), each capped at
///                        probeTimeoutMax
///                        (origin → h → m → h → origin ≈ the two round trips added)
/// probe deadline(m)  = max(sent + L · probeDeadline, timeout instant + indirect wait),
///                      at most sent + L · probeDeadlineMax
/// relay wait(m)      = indirectTimeoutFraction · clamp(U(m))   (the relay's own estimate of m)
/// suspicion min      = suspicionMultiplier · max(1, log10 n) · probeInterval
///                      + min(suspicionRoundTrips · max over members SRTT, suspicionSlowLinksMax)
/// suspicion max      = suspicionMaxMultiplier · suspicion min   (Lifeguard, unchanged)
/// ```
///
/// Before a member has a sample its `U` is the seed: twice the slowest SRTT this node has measured
/// (a new member is probably no nearer than the others), or `initialProbeTimeout` before any sample
/// at all. Every value is bounded: `probeTimeoutMin` is what a LAN node under load needs (the `lan`
/// preset's fixed timeout, so a LAN never regresses), `probeTimeoutMax` and `probeDeadlineMax` stop
/// a node that sees absurd round trips from stretching forever, and samples above
/// `RoundTripEstimate.sampleMax` count as that.
///
/// The suspicion term gives a refutation time to cross the slowest links: the accused hears of the
/// suspicion (a buddy ping or gossip), announces a new incarnation, and that alive message travels
/// back, about one round trip on the slowest path plus gossip periods; a few round trips cover
/// loss of one of those datagrams too.
public struct AdaptiveTiming: Sendable, Equatable {
    /// The shortest probe timeout (before the health multiplier).
    public var probeTimeoutMin: Nanoseconds = .milliseconds(200)
    /// The longest probe timeout (before the health multiplier).
    public var probeTimeoutMax: Nanoseconds = .seconds(3)
    /// The probe timeout of a member before any round trip was measured anywhere.
    public var initialProbeTimeout: Nanoseconds = .seconds(1)
    /// RTTVAR multiples added to SRTT (4 in RFC 6298).
    public var deviations: Int = 4
    /// The latest a probe may still succeed, from its ping (before the health multiplier).
    public var probeDeadlineMax: Nanoseconds = .seconds(8)
    /// Slowest-SRTT multiples added to the minimum suspicion timeout.
    public var suspicionRoundTrips: Double = 2
    /// The most the slow-link term adds to the minimum suspicion timeout.
    public var suspicionSlowLinksMax: Nanoseconds = .seconds(10)

    /// The defaults above.
    public init() {}

    /// `clamp(U, probeTimeoutMin, probeTimeoutMax)` for an estimate, or the seed without one.
    public func probeTimeout(_ estimate: RoundTripEstimate?, slowestSmoothed: Nanoseconds?) -> Nanoseconds {
        max(roundTripBound(estimate, slowestSmoothed: slowestSmoothed), probeTimeoutMin)
    }

    /// `U` (or the seed) capped at `probeTimeoutMax` but without the LAN floor: the indirect wait
    /// adds two of these, and the probe deadline's own floor already covers a LAN.
    public func roundTripBound(_ estimate: RoundTripEstimate?, slowestSmoothed: Nanoseconds?) -> Nanoseconds {
        let raw: Nanoseconds
        if let estimate {
            raw = estimate.upperBound(deviations: deviations)
        } else if let slowestSmoothed {
            raw = 2 * min(slowestSmoothed, RoundTripEstimate.sampleMax)
        } else {
            raw = initialProbeTimeout
        }
        return min(raw, max(probeTimeoutMin, probeTimeoutMax))
    }

    /// The slow-link term of the minimum suspicion timeout.
    public func suspicionSlowLinks(slowestSmoothed: Nanoseconds?) -> Nanoseconds {
        guard let slowestSmoothed else { return 0 }
        let extra = suspicionRoundTrips * Double(min(slowestSmoothed, RoundTripEstimate.sampleMax))
        return min(Nanoseconds(max(0, extra)), suspicionSlowLinksMax)
    }
}
