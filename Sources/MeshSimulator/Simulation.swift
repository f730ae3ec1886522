@_spi(Simulation) import MeshCore

/// One deterministic run of a scenario: N `NodeInstance`s (the code that ships) wired through a
/// simulated network on a virtual clock, with faults from the scenario's timeline.
///
/// Single-threaded; one seeded generator decides every delay, loss and random choice of the world,
/// and each node's own generator is seeded from it. Same seed and code, same trace hash.
public final class Simulation {
    struct SimNode {
        var name: String
        var address: Address
        var instance: NodeInstance?
        var life = 0
        var lifeStartIncarnation: UInt64 = 0
        var hasLeft = false
        var pausedUntil: Int64 = 0
        var pauseGeneration = 0
        var deferred: [EventKind] = []
        var starvedUntil: Int64 = 0
        var lagMin: Int64 = 0
        var lagMax: Int64 = 0
        var lagFreeAt: Int64 = 0
        var metaVersion: UInt32 = 0
        var nextInbound: UInt64 = 0
    }

    public let scenario: Scenario
    var queue = EventQueue()
    var random: SeededGenerator
    var now: Int64 = 0
    var nodes: [SimNode] = []
    var indexByAddress: [Address: Int] = [:]
    var indexByName: [String: Int] = [:]
    var group: [Int]
    var blockedGroups: Set<UInt64> = []
    var loss: Double
    var measurements: Measurements
    var trace = TraceHash()
    var convergedAt: Int64?
    var convergenceFailed = false
    var eventsProcessed = 0
    var connections: [Int: SimConnection] = [:]
    var connectionByEnd: [UInt64: Int] = [:]
    var nextConnection = 0
    let keyring: Keyring?
    static let wallClockOrigin: Int64 = 1_767_225_600_000   // 2026-01-01, for wall-clock fields only

    public init(scenario: Scenario) {
        self.scenario = scenario
        random = SeededGenerator(seed: scenario.seed)
        loss = scenario.link.loss
        group = Array(repeating: 0, count: scenario.nodes)
        measurements = Measurements(nodes: scenario.nodes)
        if scenario.authenticated {
            var keyGenerator = SeededGenerator(seed: scenario.seed ^ 0xC0FF_EE00)
            keyring = Keyring(keys: [MeshKey.make(from: &keyGenerator)])
        } else {
            keyring = nil
        }
        for i in 0..<scenario.nodes {
            let address = Address(10, UInt8(i / 62_500 % 256), UInt8(i / 250 % 250), UInt8(i % 250 + 1), port: 7946)
            let name = "n\(i)"
            nodes.append(SimNode(name: name, address: address))
            indexByAddress[address] = i
            indexByName[name] = i
        }
    }

    var moment: Moment { Moment(now: Instant(nanoseconds: now), wallMilliseconds: Simulation.wallClockOrigin + now / 1_000_000) }

    // MARK: - Running

    /// Runs the scenario to its end and returns the report.
    public func run() -> SimulationReport {
        let clock = ContinuousClock()
        let started = clock.now
        startNodes()
        for (i, entry) in scenario.timeline.enumerated() { queue.push(entry.at, .action(i)) }
        queue.push(scenario.duration, .convergenceCheck)
        let end = scenario.duration + scenario.convergenceBound
        while let event = queue.pop(), event.time <= end {
            now = event.time
            eventsProcessed += 1
            process(event.kind)
            if convergedAt != nil || convergenceFailed { break }
        }
        let wall = clock.now - started
        let wallSeconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
        return makeReport(wallSeconds: wallSeconds)
    }

    func startNodes() {
        if scenario.convergedStart {
            let states = nodes.map { MemberState(name: $0.name, address: $0.address, incarnation: 1, status: .alive, meta: []) }
            for i in nodes.indices {
                var instance = NodeInstance(config: config(for: i))
                instance.installConverged(states, at: moment)
                let directives = instance.start(at: moment)
                nodes[i].instance = instance
                nodes[i].lifeStartIncarnation = 1
                apply(i, directives)
            }
        } else {
            for i in nodes.indices {
                // Staggered starts within the first second, the way machines really come up.
                queue.push(i == 0 ? 0 : random.nanoseconds(.milliseconds(1), .seconds(1)), .action(-1 - i))
            }
        }
    }

    func config(for i: Int) -> NodeConfig {
        var seedMixer = SeededGenerator(seed: scenario.seed &+ UInt64(i) &* 0x9E37_79B9 &+ UInt64(nodes[i].life) &* 0x85EB_CA6B)
        return NodeConfig(name: nodes[i].name, address: nodes[i].address,
                          seeds: scenario.convergedStart || i == 0 ? [] : [nodes[0].address],
                          settings: scenario.settings, keyring: keyring, label: "sim",
                          randomSeed: seedMixer.next(), lastIncarnation: measurements.persistedIncarnation[i])
    }

    func bootNode(_ i: Int) {
        var instance = NodeInstance(config: config(for: i))
        nodes[i].lifeStartIncarnation = measurements.persistedIncarnation[i] + 1
        let directives = instance.start(at: moment)
        nodes[i].instance = instance
        apply(i, directives)
    }

    func process(_ kind: EventKind) {
        switch kind {
        case .datagram(let to, let from, let bytes, let lagged):
            guard nodes[to].instance != nil else { return }
            if deferIfPaused(to, kind) { return }
            if !lagged && now < nodes[to].starvedUntil && isProbeAnswer(bytes) {
                // A starved node's failure detector handles the answers to its own probes late,
                // while its timers fire on time and its responder still answers pings at once
                // (the case Lifeguard's local health addresses).
                let at = max(now + random.nanoseconds(nodes[to].lagMin, nodes[to].lagMax), nodes[to].lagFreeAt)
                nodes[to].lagFreeAt = at
                queue.push(at, .datagram(to: to, from: from, bytes: bytes, lagged: true))
                return
            }
            trace.mix(UInt64(now)); trace.mix(to); trace.mix(bytes)
            let directives = nodes[to].instance!.receiveDatagram(bytes, from: from, at: moment)
            apply(to, directives)
        case .timer(let node, let life, let timer):
            guard nodes[node].life == life, nodes[node].instance != nil else { return }
            if deferIfPaused(node, kind) { return }
            apply(node, nodes[node].instance!.timerFired(timer, at: moment))
        case .streamConnect(let connection, let server):
            streamConnectArrived(connection, server: server)
        case .streamBytes(let connection, let toServer, let bytes):
            streamBytesArrived(connection, toServer: toServer, bytes)
        case .streamEnd(let connection, let toServer, let failed):
            streamEndArrived(connection, toServer: toServer, failed: failed)
        case .action(let index):
            if index < 0 { bootNode(-1 - index) } else { perform(scenario.timeline[index].action) }
        case .convergenceCheck:
            checkConvergence()
        case .resume(let node, let generation):
            guard nodes[node].pauseGeneration == generation else { return }
            nodes[node].pausedUntil = 0
            let deferred = nodes[node].deferred
            nodes[node].deferred = []
            for kind in deferred { queue.push(now, kind) }
        }
    }

    /// True when the datagram's first message answers one of the receiver's probes.
    func isProbeAnswer(_ bytes: Bytes) -> Bool {
        let overhead = PacketCodec.headerBytes + (keyring == nil ? 0 : Keyring.tagBytes)
        guard bytes.count > overhead, let kind = Message.Kind(rawValue: bytes[overhead]) else { return false }
        return kind == .ack || kind == .nack || kind == .indirectAck
    }

    func deferIfPaused(_ node: Int, _ kind: EventKind) -> Bool {
        guard now < nodes[node].pausedUntil else { return false }
        nodes[node].deferred.append(kind)
        return true
    }

    func linkDelay() -> Int64 {
        let link = scenario.link
        return link.delay - link.jitter + random.nanoseconds(0, 2 * link.jitter)
    }

    func isBlocked(_ from: Int, _ to: Int) -> Bool {
        let a = group[from], b = group[to]
        return a != b && blockedGroups.contains(UInt64(a) << 32 | UInt64(b))
    }

    // MARK: - Directives

    func apply(_ node: Int, _ directives: [Directive]) {
        for directive in directives {
            switch directive {
            case .send(let bytes, let to):
                trace.mix(1); trace.mix(node); trace.mix(UInt64(to.ipv4) << 16 | UInt64(to.port)); trace.mix(bytes)
                send(bytes, from: node, to: to)
            case .setTimer(let timer, let at):
                trace.mix(2); trace.mix(node); mixTimer(timer); trace.mix(UInt64(at.nanoseconds))
                queue.push(max(now, at.nanoseconds), .timer(node: node, life: nodes[node].life, timer))
            case .openStream(let stream, let to):
                trace.mix(3); trace.mix(node); trace.mix(stream.value)
                openStream(stream, from: node, to: to)
            case .writeStream(let stream, let bytes):
                trace.mix(20); trace.mix(node); trace.mix(stream.value); trace.mix(bytes)
                writeStream(stream, from: node, bytes)
            case .closeStream(let stream):
                trace.mix(21); trace.mix(node); trace.mix(stream.value)
                closeStream(stream, from: node)
            case .append, .sync:
                // No machine writes the log yet; the simulated disk arrives with its layer.
                measurements.violation("t=\(seconds(now)) \(nodes[node].name) wrote to a log, and this scenario gives it no disk")
            case .startAgent, .stopAgent, .reply:
                break
            case .persistIncarnation(let incarnation):
                trace.mix(4); trace.mix(node); trace.mix(incarnation)
                if incarnation <= measurements.persistedIncarnation[node] {
                    measurements.violation("t=\(seconds(now)) \(nodes[node].name) persisted incarnation \(incarnation) after \(measurements.persistedIncarnation[node])")
                }
                measurements.persistedIncarnation[node] = incarnation
            case .event(let event):
                trace.mix(5); trace.mix(node)
                observe(event, at: node)
            }
        }
    }

    func mixTimer(_ timer: TimerID) {
        trace.mix(timer.generation)
        switch timer.purpose {
        case .streamDeadline(let stream): trace.mix(9); trace.mix(stream.value)
        case .membership(let purpose):
            switch purpose {
            case .probe: trace.mix(10)
            case .probeTimeout(let s): trace.mix(11); trace.mix(UInt64(s))
            case .probeDeadline(let s): trace.mix(12); trace.mix(UInt64(s))
            case .relayTimeout(let s): trace.mix(13); trace.mix(UInt64(s))
            case .gossip: trace.mix(14)
            case .pushPull: trace.mix(15)
            case .reconnect: trace.mix(16)
            case .join: trace.mix(17)
            case .suspicion(let name): trace.mix(18); trace.mix(name)
            case .reap: trace.mix(19)
            }
        }
    }

    func send(_ bytes: Bytes, from node: Int, to: Address) {
        measurements.datagrams += 1
        measurements.datagramBytes += bytes.count
        if bytes.count > measurements.maxDatagramBytes { measurements.maxDatagramBytes = bytes.count }
        let overhead = PacketCodec.headerBytes + (keyring == nil ? 0 : Keyring.tagBytes)
        if bytes.count > overhead { measurements.datagramsByKind[Int(min(bytes[overhead], 15))] += 1 }
        if bytes.count > WireLimits.datagramBytesMax {
            measurements.violation("t=\(seconds(now)) \(nodes[node].name) sent a datagram of \(bytes.count) bytes")
        }
        guard let destination = indexByAddress[to], !isBlocked(node, destination) else { return }
        if loss > 0 && random.unit() < loss { return }
        queue.push(now + linkDelay(), .datagram(to: destination, from: nodes[node].address, bytes: bytes, lagged: false))
        if scenario.link.duplicate > 0 && random.unit() < scenario.link.duplicate {
            queue.push(now + linkDelay(), .datagram(to: destination, from: nodes[node].address, bytes: bytes, lagged: false))
        }
    }

    // MARK: - Faults

    func perform(_ action: Scenario.Action) {
        if let kind = action.faultKind { measurements.faults[kind, default: 0] += 1 }
        switch action {
        case .crash(let victim):
            guard let instance = nodes[victim].instance else { return }
            crash(victim, incarnation: instance.incarnation)
        case .restart(let node):
            guard nodes[node].instance == nil else { return }
            if let open = measurements.openCrashByVictim.removeValue(forKey: node) {
                measurements.crashes[open].abandoned = measurements.crashes[open].completedAt == nil
            }
            nodes[node].life += 1
            nodes[node].hasLeft = false
            bootNode(node)
        case .pause(let node, let duration):
            nodes[node].pausedUntil = now + duration
            nodes[node].pauseGeneration += 1
            queue.push(now + duration, .resume(node: node, pause: nodes[node].pauseGeneration))
        case .partition(let groups, let oneWay):
            for i in group.indices { group[i] = 0 }
            blockedGroups = []
            for (g, members) in groups.enumerated() { for n in members { group[n] = g + 1 } }
            for a in 1...groups.count {
                for b in 1...groups.count where a != b {
                    if !oneWay || a == 1 { blockedGroups.insert(UInt64(a) << 32 | UInt64(b)) }
                }
            }
        case .heal:
            for i in group.indices { group[i] = 0 }
            blockedGroups = []
        case .setLoss(let p):
            loss = p
        case .update(let node):
            guard nodes[node].instance != nil, !nodes[node].hasLeft else { return }
            nodes[node].metaVersion += 1
            var w = ByteWriter(); w.u32(nodes[node].metaVersion)
            let directives = nodes[node].instance!.updateMeta(w.bytes, at: moment)
            if let previous = measurements.disseminations[node] { measurements.disseminationMissing += previous.waiting.count }
            let waiting = Set(nodes.indices.filter { $0 != node && nodes[$0].instance != nil && !nodes[$0].hasLeft })
            measurements.disseminations[node] = .init(at: now, incarnation: nodes[node].instance!.incarnation, waiting: waiting)
            apply(node, directives)
        case .leave(let node):
            guard nodes[node].instance != nil else { return }
            nodes[node].hasLeft = true
            apply(node, nodes[node].instance!.leave(at: moment))
        case .starve(let node, let duration, let lagMin, let lagMax):
            nodes[node].starvedUntil = now + duration
            nodes[node].lagMin = lagMin
            nodes[node].lagMax = lagMax
        }
    }

    func crash(_ victim: Int, incarnation: UInt64) {
        nodes[victim].instance = nil
        // The next life starts from an empty table: what this life saw no longer binds it.
        for member in nodes.indices { measurements.views.removeValue(forKey: Measurements.key(victim, member)) }
        nodes[victim].life += 1
        resetStreams(of: victim)
        nodes[victim].deferred = []
        nodes[victim].pausedUntil = 0
        // An observer that crashes no longer has to detect anyone.
        for i in measurements.crashes.indices where measurements.crashes[i].completedAt == nil
            && !measurements.crashes[i].abandoned && measurements.crashes[i].observers.contains(victim) {
            measurements.crashes[i].observers.remove(victim)
            completeIfDetected(i)
        }
        // Nor has it to learn updates any more.
        for (updater, var d) in measurements.disseminations.sorted(by: { $0.key < $1.key }) where d.waiting.contains(victim) {
            d.waiting.remove(victim)
            measurements.disseminations[updater] = d.waiting.isEmpty ? nil : d
        }
        let observers = Set(nodes.indices.filter { $0 != victim && nodes[$0].instance != nil && !nodes[$0].hasLeft })
        measurements.crashes.append(.init(victim: victim, at: now, incarnation: incarnation, observers: observers))
        measurements.openCrashByVictim[victim] = measurements.crashes.count - 1
    }

    func completeIfDetected(_ i: Int) {
        let crash = measurements.crashes[i]
        if crash.completedAt == nil && crash.observers.allSatisfy({ crash.detectedBy[$0] != nil }) {
            measurements.crashes[i].completedAt = crash.observers.map { crash.detectedBy[$0]! }.max() ?? now
        }
    }

    // MARK: - Observation and invariants

    func isUp(_ member: Int, incarnation: UInt64) -> Bool {
        nodes[member].instance != nil && !nodes[member].hasLeft && incarnation >= nodes[member].lifeStartIncarnation
    }

    /// True when `member` is running its life at `incarnation`, is not paused, and `observer` and
    /// it can reach each other: only then is suspecting it a mistake rather than a correct call.
    func isWronglyAccused(_ member: Int, incarnation: UInt64, by observer: Int) -> Bool {
        isUp(member, incarnation: incarnation) && now >= nodes[member].pausedUntil
            && !isBlocked(observer, member) && !isBlocked(member, observer)
    }

    func isImpaired(_ node: Int) -> Bool {
        now < nodes[node].starvedUntil || now < nodes[node].pausedUntil
    }

    func observe(_ event: MeshEvent, at observer: Int) {
        switch event {
        case .memberChanged(let name, let status, let incarnation, _):
            trace.mix(name); trace.mix(UInt64(status.rawValue)); trace.mix(incarnation)
            guard let member = indexByName[name] else { return }
            let key = Measurements.key(observer, member)
            if let (previousIncarnation, previousStatus) = measurements.views[key] {
                if incarnation < previousIncarnation {
                    measurements.violation("t=\(seconds(now)) \(nodes[observer].name) saw \(name)'s incarnation fall from \(previousIncarnation) to \(incarnation)")
                }
                if previousStatus.isDown && status == .alive && incarnation <= previousIncarnation {
                    measurements.violation("t=\(seconds(now)) \(nodes[observer].name) saw \(name) alive again at incarnation \(incarnation) after \(previousStatus)")
                }
            }
            measurements.views[key] = (incarnation, status)
            if let open = measurements.openCrashByVictim[member], status >= .suspect,
               incarnation <= measurements.crashes[open].incarnation {
                if measurements.crashes[open].firstSuspectAt == nil { measurements.crashes[open].firstSuspectAt = now }
                if status.isDown, measurements.crashes[open].observers.contains(observer),
                   measurements.crashes[open].detectedBy[observer] == nil {
                    measurements.crashes[open].detectedBy[observer] = now
                    completeIfDetected(open)
                }
            }
            if status == .suspect && !isImpaired(observer) && isWronglyAccused(member, incarnation: incarnation, by: observer) {
                measurements.falseSuspectObservations += 1
            }
            if var d = measurements.disseminations[member], incarnation >= d.incarnation, d.waiting.contains(observer) {
                measurements.disseminationSamples.append(now - d.at)
                d.waiting.remove(observer)
                measurements.disseminations[member] = d.waiting.isEmpty ? nil : d
            }
        case .memberForgotten(let name):
            trace.mix(name)
            if let member = indexByName[name] { measurements.views.removeValue(forKey: Measurements.key(observer, member)) }
        case .suspicionRaised(let name, let incarnation):
            trace.mix(name); trace.mix(incarnation)
            guard let member = indexByName[name], isWronglyAccused(member, incarnation: incarnation, by: observer) else { return }
            measurements.falseSuspectEpisodes.insert(Measurements.key(member, Int(truncatingIfNeeded: incarnation)))
            if isImpaired(observer) {
                measurements.falseSuspicionsRaisedByImpaired += 1
            } else {
                measurements.falseSuspicionsRaised += 1
                if isImpaired(member) { measurements.falseSuspicionsRaisedAboutImpaired += 1 }
            }
        case .deathDeclared(let name, let incarnation):
            trace.mix(name); trace.mix(incarnation)
            if let member = indexByName[name], isWronglyAccused(member, incarnation: incarnation, by: observer) {
                measurements.falseDeadEpisodes.insert(Measurements.key(member, Int(truncatingIfNeeded: incarnation)))
                if measurements.falseDeathNotes.count < 10 {
                    measurements.falseDeathNotes.append("t=\(seconds(now)) \(nodes[observer].name) declared \(name) dead at incarnation \(incarnation); it is alive at \(nodes[member].instance!.incarnation)")
                }
            }
        case .refuted(let incarnation):
            trace.mix(incarnation)
        case .joined(let seed):
            trace.mix(UInt64(seed.ipv4))
        case .duplicateName(let address):
            measurements.violation("t=\(seconds(now)) \(nodes[observer].name) saw its name in use at \(address)")
        case .leaveAnnounced(let incarnation):
            trace.mix(incarnation)
        }
    }

    /// Liveness: every live node lists every other live node alive, and every crashed node as dead,
    /// left or forgotten. Checked every half second once the faults stop.
    func checkConvergence() {
        guard convergedAt == nil else { return }
        if isConverged() {
            convergedAt = now
            return
        }
        if now >= scenario.duration + scenario.convergenceBound {
            convergenceFailed = true
            measurements.violation("live nodes did not converge within \(seconds(scenario.convergenceBound)) s after the faults stopped")
            return
        }
        queue.push(now + .milliseconds(500), .convergenceCheck)
    }

    func isConverged() -> Bool {
        for u in nodes.indices {
            guard let view = nodes[u].instance, !nodes[u].hasLeft else { continue }
            for v in nodes.indices where v != u {
                let known = view.members[nodes[v].name]
                if nodes[v].instance != nil && !nodes[v].hasLeft {
                    guard let known, known.status == .alive else { return false }
                } else if let known, known.status < .dead {
                    return false
                }
            }
        }
        return true
    }

    func seconds(_ ns: Int64) -> String {
        let s = Double(ns) / 1e9
        return String(Double(Int((s * 1000).rounded())) / 1000)
    }
}
