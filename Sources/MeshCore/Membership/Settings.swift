/// Every timing and limit of membership, named once. Presets are starting points; each field can be
/// overridden by the shell (config) or a scenario.
public struct MembershipSettings: Sendable, Equatable {
    /// How often a probe starts (one member per period, randomized round-robin).
    public var probeInterval: Nanoseconds
    /// How long a direct ping waits before indirect probes (ping-req) start (with `adaptive`, the
    /// timeout comes from the member's measured round trip and `AdaptiveTiming.probeTimeoutMin` is
    /// its floor).
    public var probeTimeout: Nanoseconds
    /// How long after the ping a probe may still succeed; no ack by then raises a suspicion.
    /// memberlist uses the probe interval here. With `adaptive`, the floor of the deadline.
    public var probeDeadline: Nanoseconds
    /// Members asked to ping the target on our behalf (k in SWIM).
    public var indirectChecks: Int
    /// Send a second direct ping when the indirect phase starts (a second chance on a lossy link).
    public var retryDirectPing: Bool
    /// Suspicion minimum = this · max(1, log10 n) · probeInterval.
    public var suspicionMultiplier: Double
    /// Suspicion maximum = this · minimum (Lifeguard starts here and falls with confirmations).
    public var suspicionMaxMultiplier: Double
    /// Independent confirmations that bring the suspicion timeout down to its minimum (K).
    public var suspicionConfirmationsExpected: Int
    /// Probe a member as soon as someone else suspects it, so a real failure is confirmed within
    /// one probe and a false one is refuted at once (the ping carries the suspicion).
    public var confirmationProbes: Bool
    /// Each update is sent at most `retransmitMultiplier · ⌈log10(n + 1)⌉` times by each member.
    public var retransmitMultiplier: Int
    /// Gossip period while updates are queued, and members gossiped to per period.
    public var gossipInterval: Nanoseconds
    public var gossipFanout: Int
    /// Dead members still receive gossip this long, so a falsely dead member learns it and refutes.
    public var gossipToTheDead: Nanoseconds
    /// Full-state sync with one random member, every `pushPullInterval · max(1, n / pushPullScaleMembers)`,
    /// so the bytes it costs each member stay flat as the mesh grows.
    public var pushPullInterval: Nanoseconds
    public var pushPullScaleMembers: Int
    /// Period at which a member re-contacts seeds and recently dead members, so partitions heal.
    public var reconnectInterval: Nanoseconds
    /// First join retry delay; doubles up to `reconnectInterval`.
    public var joinRetryInitial: Nanoseconds
    /// Dead and left members stay listed this long, then are forgotten.
    public var deadRetention: Nanoseconds
    /// Lifeguard (local health multiplier, nacks, dynamic suspicion, buddy system). Off gives
    /// plain SWIM with a fixed suspicion timeout, for comparison.
    public var lifeguard: Bool
    /// Local health multiplier ceiling: probe interval and timeouts stretch to at most this many times.
    public var healthMultiplierMax: Int
    /// An indirect ping waits this fraction of the prober's probe timeout before it sends a nack.
    public var indirectTimeoutFraction: Double
    /// Updates waiting for gossip; past this the most-sent are dropped.
    public var broadcastQueueMax: Int
    /// Probes and relayed probes in flight at once; more relay requests are refused.
    public var probesInFlightMax: Int
    public var relaysInFlightMax: Int
    /// Outgoing streams (push-pull, join) in flight at once.
    public var streamsInFlightMax: Int
    /// The shell gives up on a stream after this long (connect + exchange).
    public var streamTimeout: Nanoseconds
    /// Members one node keeps (itself excluded; dead and left ones count until they are forgotten).
    /// A new member past it is dropped and counted (`memberTableFull`); known members keep updating.
    /// 16,384 holds a 10,000-node mesh with its recently dead, and a full table's push-pull state
    /// (16,385 entries of at most 596 bytes, about 9.8 MB) still fits one stream frame (16 MiB).
    public var membersMax: Int = 16_384
    /// The adaptive detector's bounds and factors (see `AdaptiveTiming`): when set, probe and
    /// indirect-probe timeouts come from measured round trips, and the minimum suspicion timeout
    /// grows with the slowest link; `probeTimeout` and `probeDeadline` are then only floors. Nil
    /// gives fixed timeouts (every named preset but `adaptive`).
    public var adaptive: AdaptiveTiming? = nil

    /// The named presets; `adaptive` is the default everywhere (no preset flag).
    public enum Preset: String, CaseIterable, Sendable {
        case adaptive, lan, wan, local, memberlist
        case memberlistWan = "memberlist-wan"

        /// The default preset: the detector that measures its network.
        public static let standard = Preset.adaptive
        /// Every preset name, for messages: "adaptive, lan, wan, …".
        public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
    }

    /// The settings of a named preset.
    public static func preset(_ preset: Preset) -> MembershipSettings {
        switch preset {
        case .adaptive: .adaptive
        case .lan: .lan
        case .wan: .wan
        case .local: .local
        case .memberlist: .memberlist
        case .memberlistWan: .memberlistWan
        }
    }

    /// The default: `lan`'s periods and floors, with timeouts set from measured round trips
    /// (`AdaptiveTiming`), so one configuration serves a rack and four continents.
    public static let adaptive: MembershipSettings = {
        var s = MembershipSettings.lan
        s.adaptive = AdaptiveTiming()
        return s
    }()

    /// memberlist's WAN defaults (`DefaultWANConfig`: probe 5 s, timeout 3 s, suspicion ×6, gossip
    /// 500 ms to 4, gossip to the dead 60 s, push-pull 60 s), the second baseline.
    public static let memberlistWan: MembershipSettings = {
        var s = MembershipSettings.memberlist
        s.probeInterval = .seconds(5)
        s.probeTimeout = .seconds(3)
        s.probeDeadline = .seconds(5)
        s.suspicionMultiplier = 6
        s.gossipInterval = .milliseconds(500)
        s.gossipFanout = 4
        s.gossipToTheDead = .seconds(60)
        s.pushPullInterval = .seconds(60)
        return s
    }()

    /// memberlist's LAN defaults (probe 1 s, timeout 500 ms, 3 indirect checks, suspicion ×4 and
    /// max ×6, gossip 200 ms to 3, push-pull 30 s), the baseline our presets are measured against.
    /// memberlist's TCP ping fallback is not modelled.
    public static let memberlist = MembershipSettings(
        probeInterval: .seconds(1), probeTimeout: .milliseconds(500), probeDeadline: .seconds(1),
        indirectChecks: 3, retryDirectPing: false,
        suspicionMultiplier: 4, suspicionMaxMultiplier: 6, suspicionConfirmationsExpected: 2,
        confirmationProbes: false,
        retransmitMultiplier: 4, gossipInterval: .milliseconds(200), gossipFanout: 3,
        gossipToTheDead: .seconds(30),
        pushPullInterval: .seconds(30), pushPullScaleMembers: 32,
        reconnectInterval: .seconds(30), joinRetryInitial: .seconds(1), deadRetention: .seconds(600),
        lifeguard: true, healthMultiplierMax: 8, indirectTimeoutFraction: 0.8,
        broadcastQueueMax: 4096, probesInFlightMax: 16, relaysInFlightMax: 256, streamsInFlightMax: 16,
        streamTimeout: .seconds(10))

    /// Our default for a LAN or a private overlay network (Tailscale, WireGuard).
    public static let lan: MembershipSettings = {
        var s = MembershipSettings.memberlist
        s.probeInterval = .milliseconds(800)
        s.probeTimeout = .milliseconds(200)
        s.probeDeadline = .milliseconds(500)
        s.indirectChecks = 4
        s.retryDirectPing = true
        s.suspicionMultiplier = 1.5
        s.suspicionMaxMultiplier = 6
        s.suspicionConfirmationsExpected = 2
        s.confirmationProbes = true
        s.gossipInterval = .milliseconds(100)
        s.gossipFanout = 3
        s.pushPullInterval = .seconds(30)
        s.pushPullScaleMembers = 16
        s.reconnectInterval = .seconds(10)
        s.streamTimeout = .seconds(2)
        return s
    }()

    /// Slow, lossy links between sites.
    public static let wan: MembershipSettings = {
        var s = MembershipSettings.lan
        s.probeInterval = .seconds(5)
        s.probeTimeout = .seconds(3)
        s.probeDeadline = .seconds(5)
        s.suspicionMultiplier = 6
        s.gossipInterval = .milliseconds(500)
        s.gossipFanout = 4
        s.gossipToTheDead = .seconds(60)
        s.pushPullInterval = .seconds(60)
        s.reconnectInterval = .seconds(30)
        s.streamTimeout = .seconds(10)
        return s
    }()

    /// One machine (loopback): short timeouts.
    public static let local: MembershipSettings = {
        var s = MembershipSettings.lan
        s.probeInterval = .milliseconds(500)
        s.probeTimeout = .milliseconds(150)
        s.probeDeadline = .milliseconds(500)
        s.indirectChecks = 2
        s.gossipInterval = .milliseconds(50)
        s.pushPullInterval = .seconds(15)
        s.reconnectInterval = .seconds(5)
        s.streamTimeout = .seconds(1)
        return s
    }()
}
