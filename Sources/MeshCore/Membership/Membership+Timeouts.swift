/// The timeouts in force: fixed by the preset, or set from measured round trips when
/// `settings.adaptive` is on (formulas in `AdaptiveTiming`). Every value here is before the local
/// health multiplier unless its name says `scaled`.
extension Membership {
    /// The probe timeout for `member` (unscaled).
    func probeTimeoutBase(for member: String) -> Nanoseconds {
        guard let adaptive = settings.adaptive else { return settings.probeTimeout }
        return adaptive.probeTimeout(roundTrips[member], slowestSmoothed: slowestSmoothed)
    }

    /// The largest SRTT measured, as last computed (cheap; refreshed on every sample).
    var slowestSmoothed: Nanoseconds? { slowestSmoothedCache }

    /// Records a probe's round trip (only an unambiguous one: Karn's rule, see `handleAck`).
    mutating func recordRoundTrip(_ sample: Nanoseconds, for member: String) {
        roundTrips.add(sample, for: member)
        slowestSmoothedCache = roundTrips.slowestSmoothed(over: members)
    }

    /// Forgets a member's estimate.
    mutating func forgetRoundTrip(_ member: String) {
        roundTrips.remove(member)
        slowestSmoothedCache = roundTrips.slowestSmoothed(over: members)
    }

    /// When a probe of `member` sent at `sentAt` gives up, before any helper is chosen: the
    /// preset's deadline, or the adaptive timeout plus one more of it for the indirect round.
    func initialProbeDeadline(for member: String, sentAt: Instant) -> Instant {
        let floor = health.scale(settings.probeDeadline)
        guard let adaptive = settings.adaptive else { return sentAt + floor }
        let wait = health.scale(2 * probeTimeoutBase(for: member))
        return sentAt + min(max(floor, wait), health.scale(adaptive.probeDeadlineMax))
    }

    /// The deadline once the indirect phase starts at `now` through `helpers`: long enough for the
    /// slowest helper's round trip plus the target's (adaptive only; never earlier than before).
    func indirectProbeDeadline(for member: String, helpers: [String], sentAt: Instant, now: Instant,
                               current: Instant) -> Instant {
        guard let adaptive = settings.adaptive, !helpers.isEmpty else { return current }
        var slowestHelper: Nanoseconds = 0
        for helper in helpers {
            slowestHelper = max(slowestHelper, adaptive.roundTripBound(roundTrips[helper], slowestSmoothed: slowestSmoothed))
        }
        let target = adaptive.roundTripBound(roundTrips[member], slowestSmoothed: slowestSmoothed)
        let wanted = now + health.scale(slowestHelper + target)
        let latest = sentAt + health.scale(adaptive.probeDeadlineMax)
        return max(current, min(wanted, latest))
    }

    /// How long a relay waits for the target before it sends a nack.
    func relayWait(for member: String) -> Nanoseconds {
        let base = settings.adaptive == nil ? settings.probeTimeout : probeTimeoutBase(for: member)
        return Nanoseconds(Double(base) * settings.indirectTimeoutFraction)
    }

    /// The minimum suspicion timeout in a mesh of `n` members: Lifeguard's, plus the slow-link term.
    func suspicionTimeoutMin(members n: Int) -> Nanoseconds {
        let base = Suspicion.timeoutMin(multiplier: settings.suspicionMultiplier, members: n,
                                        probeInterval: settings.probeInterval)
        guard let adaptive = settings.adaptive else { return base }
        return base + adaptive.suspicionSlowLinks(slowestSmoothed: slowestSmoothed)
    }

    /// The timeouts in force now, for `/v1/health`.
    public var timeoutsInForce: DetectorTimeouts {
        var lowest = Nanoseconds.max, highest: Nanoseconds = 0
        for member in members.members where !member.status.isDown {
            let timeout = probeTimeoutBase(for: member.name)
            lowest = min(lowest, timeout)
            highest = max(highest, timeout)
        }
        if lowest > highest { lowest = probeTimeoutBase(for: ""); highest = lowest }
        let n = upCount + 1
        let minimum = suspicionTimeoutMin(members: n)
        let maximum = settings.lifeguard ? Nanoseconds(settings.suspicionMaxMultiplier * Double(minimum)) : minimum
        return DetectorTimeouts(
            isAdaptive: settings.adaptive != nil, healthMultiplier: health.score + 1,
            probeInterval: health.scale(settings.probeInterval),
            probeTimeoutMin: health.scale(lowest), probeTimeoutMax: health.scale(highest),
            slowestRoundTrip: slowestSmoothed, suspicionTimeoutMin: minimum, suspicionTimeoutMax: maximum)
    }

    /// One member's round-trip estimate (SRTT and RTTVAR), nil before its first sample.
    public func roundTrip(of member: String) -> RoundTripEstimate? { roundTrips[member] }
}

/// The failure detector's timeouts at one moment (`Membership.timeoutsInForce`).
public struct DetectorTimeouts: Sendable, Equatable {
    /// True when timeouts follow measured round trips (the `adaptive` preset).
    public var isAdaptive: Bool
    /// Lifeguard's local health multiplier (score + 1) applied to the probe values below.
    public var healthMultiplier: Int
    /// The probe period, health multiplier applied.
    public var probeInterval: Nanoseconds
    /// The shortest and longest direct-probe timeout over the members up, health multiplier applied.
    public var probeTimeoutMin: Nanoseconds
    public var probeTimeoutMax: Nanoseconds
    /// The largest SRTT measured to any member; nil before any sample.
    public var slowestRoundTrip: Nanoseconds?
    /// The suspicion timeout with every confirmation (minimum) and with none (maximum).
    public var suspicionTimeoutMin: Nanoseconds
    public var suspicionTimeoutMax: Nanoseconds

    /// The timeouts as given (`Membership.timeoutsInForce` makes them from a node's state).
    public init(isAdaptive: Bool, healthMultiplier: Int, probeInterval: Nanoseconds, probeTimeoutMin: Nanoseconds,
                probeTimeoutMax: Nanoseconds, slowestRoundTrip: Nanoseconds?, suspicionTimeoutMin: Nanoseconds,
                suspicionTimeoutMax: Nanoseconds) {
        self.isAdaptive = isAdaptive; self.healthMultiplier = healthMultiplier; self.probeInterval = probeInterval
        self.probeTimeoutMin = probeTimeoutMin; self.probeTimeoutMax = probeTimeoutMax
        self.slowestRoundTrip = slowestRoundTrip; self.suspicionTimeoutMin = suspicionTimeoutMin
        self.suspicionTimeoutMax = suspicionTimeoutMax
    }
}
