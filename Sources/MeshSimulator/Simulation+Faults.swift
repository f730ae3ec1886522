@_spi(Simulation) import MeshCore

/// Faults of a node: crash (the process is gone), restart, pause (nothing runs) and starvation
/// (its failure detector handles answers late).
extension Simulation {
    func crash(_ victim: Int) {
        guard let instance = nodes[victim].instance else { return }
        let incarnation = instance.incarnation
        taskOutcomes?.retire(instance.tasks.stats)
        nodes[victim].instance = nil
        nodes[victim].life += 1
        resetStreams(of: victim)
        nodes[victim].deferred = []
        nodes[victim].pausedUntil = 0
        crashDisk(victim)
        killFakeAgents(of: victim)
        notify { $0.nodeCrashed(victim, incarnation: incarnation, world: self) }
    }

    func restart(_ node: Int) {
        guard nodes[node].instance == nil else { return }
        notify { $0.nodeRestarting(node, world: self) }
        nodes[node].life += 1
        nodes[node].hasLeft = false
        bootNode(node)
    }

    func pause(_ node: Int, for duration: Nanoseconds) {
        nodes[node].pausedUntil = now + duration
        nodes[node].pauseGeneration += 1
        queue.push(now + duration, .resume(node: node, pause: nodes[node].pauseGeneration))
    }

    /// The pause numbered `generation` ends: events held meanwhile are delivered now, in order.
    func resume(_ node: Int, generation: Int) {
        guard nodes[node].pauseGeneration == generation else { return }
        nodes[node].pausedUntil = 0
        let deferred = nodes[node].deferred
        nodes[node].deferred = []
        for kind in deferred { queue.push(now, kind) }
    }

    /// Holds `kind` until the node resumes if it is paused; true when held.
    func deferIfPaused(_ node: Int, _ kind: EventKind) -> Bool {
        guard now < nodes[node].pausedUntil else { return false }
        nodes[node].deferred.append(kind)
        return true
    }

    func starve(_ node: Int, for duration: Nanoseconds, lagMin: Nanoseconds, lagMax: Nanoseconds) {
        nodes[node].starvedUntil = now + duration
        nodes[node].lagMin = lagMin
        nodes[node].lagMax = lagMax
    }

    /// A starved node's failure detector handles the answers to its own probes late, while its
    /// timers fire on time and its responder still answers pings at once (the case Lifeguard's
    /// local health addresses). True when the datagram was held back.
    func lagIfStarved(_ bytes: Bytes, to: Int, from: Address) -> Bool {
        guard now < nodes[to].starvedUntil && isProbeAnswer(bytes) else { return false }
        let at = max(now + random.nanoseconds(nodes[to].lagMin, nodes[to].lagMax), nodes[to].lagFreeAt)
        nodes[to].lagFreeAt = at
        queue.push(at, .datagram(to: to, from: from, bytes: bytes, lagged: true))
        return true
    }

    /// True when the datagram's first message answers one of the receiver's probes.
    func isProbeAnswer(_ bytes: Bytes) -> Bool {
        let overhead = datagramOverheadBytes
        guard bytes.count > overhead, let kind = Message.Kind(rawValue: bytes[overhead]) else { return false }
        return kind == .ack || kind == .nack || kind == .indirectAck
    }

    /// True while the node is starved or paused: its own judgement of others is not to be trusted.
    func isImpaired(_ node: Int) -> Bool {
        now < nodes[node].starvedUntil || now < nodes[node].pausedUntil
    }
}
