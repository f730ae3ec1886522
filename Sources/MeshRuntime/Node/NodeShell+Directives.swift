import Dispatch
import Glibc
import MeshCore

/// Carrying out the core's directives, in order, and feeding its inputs.
extension NodeShell {
    /// Hands one input to the core, now, and carries out what it asks. On `queue`.
    func input(_ input: Input) {
        handleOne(input)
        finishStep()
    }

    /// Hands several inputs to the core, one after the other, as `input` would, but sends the link
    /// frames they produce together at the end (one system call per peer instead of one each).
    func inputs(_ batch: [Input]) {
        for input in batch { handleOne(input) }
        finishStep()
    }

    private func handleOne(_ input: Input) {
        guard exitStatus == nil else { return }
        if case .agentExited(let run, _, _) = input {
            data?.runEnded(run)
            apiMetrics.attemptEnded(run, dataPath: options.dataDirectory?.path)
        }
        perform(core.handle(input, at: SystemClock.moment()), finishing: false)
        if case .control(_, .keys) = input { data?.setKeyring(core.keyring) }
    }

    /// Sends the link frames queued so far and points the timer at the earliest core timer.
    private func finishStep() {
        streams.flush()
        armTimer()
    }

    /// Carries out `directives` in order. A persisted incarnation is durable before any later send.
    /// `finishing` (the default) then sends the queued link frames and re-arms the timer; a caller
    /// that carries out more steps first does that once at the end (`finishStep`).
    func perform(_ directives: [Directive], finishing: Bool = true) {
        for directive in directives {
            guard exitStatus == nil else { return }
            switch directive {
            case .send(let datagram, let destination):
                sendDatagram(datagram, to: destination)
            case .setTimer(let id, let at):
                timers.schedule(id, at: at)
            case .openStream(let stream, let destination):
                streams.open(stream, to: destination)
            case .writeStream(let stream, let bytes):
                streams.write(stream, bytes)
            case .closeStream(let stream):
                streams.close(stream)
            case .persistIncarnation(let incarnation):
                persist(incarnation)
            case .append(let record):
                logCommitter.append(record)
            case .sync:
                logCommitter.sync()
            case .compactLog(let records):
                logCommitter.compact(records)
            case .startAgent(let run):
                apiMetrics.attemptStarted(run)
                if let agents, prepareInbox(run) { agents.start(run) } else if agents != nil {
                    continue
                } else {
                    queue.async { [self] in input(.agentExited(run.run, .refused("this node has no data directory to run agents in"))) }
                }
            case .stopAgent(let run, let signal):
                agents?.stop(run, signal)
            case .fetchFiles(let fetch):
                fetchFiles(fetch)
            case .reply(let request, let reply):
                pendingReplies.removeValue(forKey: request)?(reply)
            case .event(let event):
                handle(event)
            }
        }
        if finishing { finishStep() }
    }

    private func persist(_ incarnation: UInt64) {
        guard let directory = options.dataDirectory else { return }
        do {
            try directory.persist(DataDirectory.Identity(name: options.name, incarnation: incarnation))
        } catch {
            // Announcing an incarnation that a restart could repeat would break the ordering rule.
            fail("cannot write the data directory \(directory.path): \(error); stopping")
        }
    }

    // MARK: Timers

    /// Points the one Dispatch timer at the earliest core timer.
    func armTimer() {
        guard exitStatus == nil, let deadline = timers.nextDeadline else { return }
        if armedDeadline == deadline { return }
        armedDeadline = deadline
        if timerSource == nil {
            let source = DispatchSource.makeTimerSource(queue: queue)
            source.setEventHandler { [self] in timersDue() }
            timerSource = source
            source.resume()
        }
        let delay = max(0, deadline - SystemClock.now())
        timerSource?.schedule(deadline: .now() + .nanoseconds(Int(delay)), leeway: .milliseconds(1))
    }

    private func timersDue() {
        armedDeadline = nil
        var fired = 0
        while exitStatus == nil, fired < 1_000 {
            let moment = SystemClock.moment()
            guard let id = timers.popDue(at: moment.now) else { break }
            // Most due timers are stream deadlines of exchanges long done: skip them here rather
            // than wake the whole core for an input it would ignore.
            guard core.isTimerLive(id) else { continue }
            fired += 1
            perform(core.handle(.timer(id), at: moment), finishing: false)
        }
        finishStep()
    }

    // MARK: Events

    private func handle(_ event: MeshEvent) {
        countForMetrics(event)
        recordForMonitor(event)
        switch event {
        case .memberChanged(let name, let status, let incarnation, let address):
            logger.info("member \(status)", ["name": name, "incarnation": String(incarnation), "address": address.description])
        case .memberForgotten(let name):
            logger.debug("member forgotten", ["name": name])
        case .suspicionRaised(let name, let incarnation):
            logger.debug("probe failed: suspecting", ["name": name, "incarnation": String(incarnation)])
        case .deathDeclared(let name, let incarnation):
            logger.info("suspicion ran out: declaring dead", ["name": name, "incarnation": String(incarnation)])
        case .refuted(let incarnation):
            logger.info("refuted a suspicion of this node", ["incarnation": String(incarnation)])
        case .joined(let seed):
            lastJoinFailure = nil
            logger.info("joined the mesh", ["seed": seed.description])
        case .joinFailed(let seed, let reason):
            var why = reason.description
            if reason == .noConnection, let system = streams.lastConnectFailure(to: seed) { why = "no connection (\(system))" }
            lastJoinFailure = "through \(seed): \(why)"
            logger.warn("join attempt failed: not joined yet", ["seed": seed.description, "reason": why])
        case .duplicateName(let address):
            fail("another live node is already named '\(options.name)' (at \(address)); start this one with a different --name (or its own --data)")
        case .leaveAnnounced(let incarnation):
            logger.info("leaving: announced", ["incarnation": String(incarnation)])
        case .capacityVersionMade, .capacityTaken:
            break   // Several a second in a busy mesh: `mesh status` shows records and their age.
        }
    }
}
