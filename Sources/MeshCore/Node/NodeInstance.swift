/// One mesh node's protocol state: the one entry point of the core (ARCHITECTURE §3).
///
/// A value with no I/O. `handle(_:at:)` takes one `Input` with the `Moment` it happened and
/// returns the `Directive`s for the shell (the real runtime or the simulator) to carry out in order.
/// The node routes each input to the sub-state-machine it concerns — membership today, capacity and
/// tasks later, each in its own folder — and gathers their directives. It owns what they share:
/// timers (armed with generations, so a stale timer is ignored), streams (framed and authenticated
/// here, so the shells only move bytes) and control requests (answered by `reply`, possibly many
/// inputs later). Randomness comes only from generators seeded by `NodeConfig.randomSeed`.
///
/// Membership's views (`incarnation`, `members`, `drops`, …) read straight through.
@dynamicMemberLookup
public struct NodeInstance: Sendable {
    /// The membership machine (SWIM with Lifeguard).
    public internal(set) var membership: Membership
    /// The task machine (submission, copies, leases, execution).
    public internal(set) var tasks: TaskMachine
    /// Stream drops (framing, authentication, limits) by reason.
    public internal(set) var streamDrops = DropCounters()
    /// What happened to streams, for `/v1/health` and the simulator.
    public internal(set) var streamStats = StreamStats()

    /// The keys streams and datagrams are authenticated with; an operator may change it (`KeyChange`).
    public internal(set) var keyring: Keyring?
    /// Operator joins waiting for their exchanges.
    var joins = PendingJoins()
    /// Round-trip questions to other members waiting for their answers.
    var roundTrips = PendingRoundTrips()
    /// Task requests waiting for their attachment blobs.
    var fetches = PendingFetches()
    let labelHash: UInt32
    var timers = TimerTable()
    var streams: [StreamID: StreamState] = [:]
    /// Resumable sessions of task streams, both sides (`StreamCodec`).
    var sessions = StreamSessions()
    var nextOutboundStream: UInt64 = 0
    /// What `taskPeers()` derived from capacity records, until they change.
    var taskPeersCache = TaskPeersCache()
    var inboundStreamCount = 0
    /// Nonces for stream hellos: a generator of its own, so streams never shift membership's choices.
    var nonceGenerator: SeededGenerator
    var output: [Directive] = []
    var now: Instant = .zero
    var wallMilliseconds: Int64 = 0

    public init(config: NodeConfig) {
        membership = Membership(config: config)
        var slots: [String: Int] = [:]
        for profile in config.capacity.profiles { slots[profile.name] = profile.slots }
        tasks = TaskMachine(name: config.name, incarnation: config.lastIncarnation &+ 1, idSalt: config.taskIDSalt, slots: slots,
                            settings: config.taskSettings, recovered: config.recoveredLog)
        keyring = config.keyring
        labelHash = PacketCodec.hashLabel(config.label)
        nonceGenerator = SeededGenerator(seed: config.randomSeed ^ 0x5EED_57EA_4D00_0001)
    }

    public subscript<Value>(dynamicMember keyPath: KeyPath<Membership, Value>) -> Value {
        membership[keyPath: keyPath]
    }

    // MARK: - The entry point

    /// Handles one input that happened at `moment`; returns what the shell must do, in order.
    public mutating func handle(_ input: Input, at moment: Moment) -> [Directive] {
        now = moment.now
        wallMilliseconds = moment.wallMilliseconds
        membership.currentTime = moment.now
        switch input {
        case .start:
            membership.start()
            handleTasks(input)
        case .datagram(let bytes, let sender): membership.receiveDatagram(bytes, from: sender)
        case .timer(let timer): timerFired(timer)
        case .streamAccepted(let stream, let peer): streamAccepted(stream, from: peer)
        case .streamData(let stream, let bytes): streamData(stream, bytes)
        case .streamClosed(let stream): streamEnded(stream, failed: false)
        case .streamFailed(let stream): streamEnded(stream, failed: true)
        case .streamNotConnected(let stream): streamNotConnected(stream)
        case .logSynced, .logCompacted, .diskFailed, .agentExited: handleTasks(input)
        case .control(let request, let command): control(command, request: request)
        case .leave:
            handleTasks(input)
            membership.leave()
        case .localLoad(let load): membership.localLoadChanged(load)
        case .filesFetched(let fetch, let failure): filesFetched(fetch, failure: failure)
        }
        gatherMembership()
        gatherTasks()
        defer { output.removeAll(keepingCapacity: true) }
        return output
    }

    // MARK: Convenience entry points (each is `handle` with one input)

    public mutating func start(at moment: Moment) -> [Directive] { handle(.start, at: moment) }
    public mutating func receiveDatagram(_ datagram: Bytes, from sender: Address, at moment: Moment) -> [Directive] {
        handle(.datagram(datagram, from: sender), at: moment)
    }
    public mutating func timerFired(_ timer: TimerID, at moment: Moment) -> [Directive] { handle(.timer(timer), at: moment) }
    public mutating func leave(at moment: Moment) -> [Directive] { handle(.leave, at: moment) }

    /// Replaces this node's metadata and announces it with a new incarnation.
    public mutating func updateMeta(_ meta: Bytes, at moment: Moment) -> [Directive] {
        now = moment.now
        membership.currentTime = moment.now
        membership.updateMeta(meta)
        gatherMembership()
        defer { output.removeAll(keepingCapacity: true) }
        return output
    }

    /// True when firing `timer` would do anything; a shell may skip a timer that is not (a stale
    /// arming: the core would ignore it). Changes nothing.
    public func isTimerLive(_ timer: TimerID) -> Bool { timers.isLive(timer) }

    // MARK: - Routing

    mutating func emit(_ directive: Directive) { output.append(directive) }

    mutating func setTimer(_ purpose: TimerPurpose, at instant: Instant) {
        emit(.setTimer(timers.arm(purpose), at: instant))
    }

    private mutating func timerFired(_ timer: TimerID) {
        guard timers.fire(timer) else { return }
        switch timer.purpose {
        case .membership(let purpose): membership.timerFired(purpose)
        case .streamDeadline(let stream): streamDeadlinePassed(stream)
        case .tasks(let purpose): taskTimerFired(purpose)
        }
    }

    /// Turns membership's effects into directives, in order. Exchanges may produce more effects
    /// (a reply handled at once), so this drains until membership is quiet.
    mutating func gatherMembership() {
        var effects = membership.takeEffects()
        while !effects.isEmpty {
            for effect in effects {
                switch effect {
                case .send(let bytes, let to): emit(.send(bytes, to: to))
                case .setTimer(let timer, let at): setTimer(.membership(timer), at: at)
                case .exchange(let exchange, let peer, let payload): openExchange(exchange, to: peer, request: payload)
                case .persistIncarnation(let incarnation): emit(.persistIncarnation(incarnation))
                case .event(let event):
                    emit(.event(event))
                    if case .memberChanged(_, let status, _, _) = event, status.isDown { taskMemberWentDown() }
                }
            }
            effects = membership.takeEffects()
        }
    }
}

extension NodeInstance {
    /// Installs a known membership without any traffic, as if a full sync had just completed. For
    /// simulations that start from a converged mesh (a 10,000-member mesh need not replay its join).
    @_spi(Simulation) public mutating func installConverged(_ states: [MemberState], at moment: Moment) {
        membership.currentTime = moment.now
        membership.installConverged(states, now: moment.now)
    }

    /// Installs every member's capacity record as if gossip had spread them, this node's own as
    /// made at `ownMadeAt` (a random phase, so refreshes do not all fall due at once). For
    /// simulations that start from a converged mesh.
    @_spi(Simulation) public mutating func installConvergedCapacity(_ records: [CapacityRecord], ownMadeAt: Instant,
                                                                    at moment: Moment) {
        membership.capacity.installConverged(records, now: moment.now, ownMadeAt: ownMadeAt)
    }
}
