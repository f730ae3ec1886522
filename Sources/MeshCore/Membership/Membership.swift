/// The membership sub-state-machine: SWIM with Lifeguard, gossip and push-pull sync.
///
/// A value with no I/O, driven only by `NodeInstance`, which sets `currentTime` before every input
/// it routes here (one notion of time) and turns the `Effect`s this machine emits into directives:
/// timers get generations, exchanges become framed, authenticated streams. Randomness comes only
/// from the generator seeded by `NodeConfig.randomSeed`, so the same inputs give the same effects.
public struct Membership: Sendable {
    /// What membership asks of its node, in order.
    enum Effect: Sendable, Equatable {
        /// Send one datagram (already framed and tagged).
        case send(Bytes, to: Address)
        /// Call `timerFired` at `at`; re-arming the same timer supersedes the earlier one.
        case setTimer(MembershipTimer, at: Instant)
        /// Send `payload` as one request over a new stream to `to`, and report the reply or failure
        /// under `exchange`.
        case exchange(UInt64, to: Address, payload: Bytes)
        /// Write the incarnation to stable storage before carrying out what follows.
        case persistIncarnation(UInt64)
        /// Something worth logging or measuring happened.
        case event(MeshEvent)
    }

    public let name: String
    public let address: Address
    public internal(set) var settings: MembershipSettings
    public internal(set) var incarnation: UInt64
    public internal(set) var meta: Bytes
    public internal(set) var members = MemberTable()
    public internal(set) var drops = DropCounters()
    public internal(set) var health: LocalHealth
    public internal(set) var isLeaving = false
    public internal(set) var hasJoined = false
    /// Full states (push-pull, join, either direction) merged in this life.
    public internal(set) var statesMerged: UInt64 = 0
    /// Members a merged full state listed that this node does not know (a state's dead and
    /// suspect members are not added here), at most `unlearnedMembersMax`.
    var unlearnedMembers: [MemberState] = []
    /// Capacity records: this node's and every member's (carried by this machine's gossip).
    public internal(set) var capacity: CapacityBook

    let seeds: [Address]
    var codec: PacketCodec
    var random: SeededGenerator
    var output: [Effect] = []
    /// The instant of the input being handled; set by `NodeInstance` before every input.
    var currentTime: Instant = .zero

    /// Members not dead or left (self excluded).
    public internal(set) var upCount = 0

    // Probing.
    var probeOrder: [String] = []
    var probeCursor = 0
    var nextSequence: UInt32 = 0
    var probes: [UInt32: Probe] = [:]
    var relays: [UInt32: Relay] = [:]
    /// Probes started and probes that ended without an ack (for `/metrics`).
    public internal(set) var probeStats = ProbeStats()
    /// Members to probe as soon as a probe slot frees up (confirmation probes that found every slot
    /// taken, after a heal for example). Bounded; a member appears at most once.
    var pendingConfirmations: [String] = []
    static let pendingConfirmationsMax = 1024
    /// Sequences of the last probes that failed: an answer to one of them arrived in time but was
    /// handled late, which is evidence that this node is the slow one (Lifeguard's local health).
    /// Each with who may answer it (the probed member and the relays asked).
    var recentlyFailedProbes: [(sequence: UInt32, answerers: [Address])] = []
    static let recentlyFailedProbesMax = 16

    // Round-trip estimates by member (the adaptive detector's input) and the largest SRTT.
    var roundTrips = RoundTripTable()
    var slowestSmoothedCache: Nanoseconds?

    // Suspicion timers by member name.
    var suspicions: [String: Suspicion] = [:]

    // Dissemination.
    var broadcasts: BroadcastQueue
    var isGossipArmed = false
    /// When the capacity timer is armed for; nil when it is not.
    var capacityTimerAt: Instant?
    /// The protocol range each address last sent (datagram headers, push-pull replies).
    var peerVersions: [Address: ProtocolRange] = [:]

    // Exchanges (push-pull and join over streams) and joining.
    var nextExchange: UInt64 = 0
    var streams: [UInt64: StreamPurpose] = [:]
    var joinAttempts = 0
    /// When a ping from an unknown member last opened a push-pull (`syncWithUnknownProber`).
    var lastUnknownProberSync: Instant?

    // Members that went down, in the order they did, for reaping and reconnecting.
    var downLog: [(name: String, at: Instant)] = []
    var downLogStart = 0

    struct Probe {
        var target: String
        var targetAddress: Address
        /// The target's incarnation when the probe started: a failed probe accuses that life only,
        /// never a newer one (a restart or a refutation that happened meanwhile).
        var targetIncarnation: UInt64
        var sentAt: Instant
        var isAcked = false
        /// A second direct ping went out: an ack can no longer be timed (Karn's rule).
        var isRetried = false
        var nacksExpected = 0
        var nacksReceived = 0
        /// The relays asked to probe the target: only they may send its nacks and indirect acks.
        var relayAddresses: [Address] = []
    }

    struct Relay {
        var origin: Address
        var originSequence: UInt32
        /// Where the relayed ping went: only an ack from there is passed on.
        var targetAddress: Address
    }

    enum StreamPurpose {
        case join(Address)
        case sync(Address)
    }

    public init(config: NodeConfig) {
        precondition(config.validationError() == nil, "invalid node config: \(config.validationError()!)")
        name = config.name
        address = config.address
        seeds = config.seeds.filter { $0 != config.address }
        settings = config.settings
        incarnation = min(config.lastIncarnation, WireLimits.counterMax)
        meta = config.meta
        codec = PacketCodec(keyring: config.keyring, label: config.label, versions: config.versions)
        capacity = CapacityBook(name: config.name, local: config.capacity, settings: config.capacitySettings)
        random = SeededGenerator(seed: config.randomSeed)
        nextSequence = UInt32(truncatingIfNeeded: random.next())
        health = LocalHealth(multiplierMax: config.settings.lifeguard ? config.settings.healthMultiplierMax : 1)
        broadcasts = BroadcastQueue(capacity: config.settings.broadcastQueueMax)
    }

    // MARK: - Views

    /// This node as a member.
    public var selfMember: Member {
        var m = Member(name: name, address: address, incarnation: incarnation,
                       status: isLeaving ? .left : .alive, meta: meta, statusChangedAt: .zero)
        m.roundTripMicroseconds = 0
        return m
    }

    /// Probes and relays in flight, and updates waiting for gossip.
    public var probesInFlight: Int { probes.count }
    public var relaysInFlight: Int { relays.count }
    public var broadcastsQueued: Int { broadcasts.count }

    /// Installs a known membership without any traffic, as if a full sync had just completed. For
    /// simulations that start from a converged mesh (a 10,000-member mesh need not replay its join).
    mutating func installConverged(_ states: [MemberState], now: Instant) {
        members.reserveCapacity(states.count)
        for state in states where state.name != name && members[state.name] == nil {
            members.insert(Member(name: state.name, address: state.address, incarnation: state.incarnation,
                                  status: state.status, meta: state.meta, statusChangedAt: now))
            if !state.status.isDown { upCount += 1; probeOrder.append(state.name) }
        }
        probeOrder.shuffle(using: &random)
        hasJoined = true
    }

    // MARK: - Plumbing

    mutating func emit(_ effect: Effect) { output.append(effect) }

    /// Hands the effects emitted so far to the node, in order.
    mutating func takeEffects() -> [Effect] {
        defer { output.removeAll(keepingCapacity: true) }
        return output
    }

    var selfAlive: Alive { Alive(incarnation: incarnation, name: name, address: address, meta: meta) }

    var reapPeriod: Nanoseconds { max(.seconds(1), settings.deadRetention / 10) }

    mutating func countDrop(_ reason: DropReason) { drops.count(reason) }

    /// This node's full state for a push-pull: itself first, then every member it knows.
    func localState() -> [MemberState] {
        var states = [selfMember.state]
        states.reserveCapacity(members.count + 1)
        for m in members.members { states.append(m.state) }
        return states
    }

    mutating func nextSequenceNumber() -> UInt32 {
        nextSequence &+= 1
        return nextSequence
    }
}
