import Dispatch
import Glibc
import MeshCore

/// Carrying out the core's directives, in order, and feeding its inputs.
extension NodeShell {
    /// Carries out `directives` in order. A persisted incarnation is durable before any later send.
    func perform(_ directives: [Directive]) {
        for directive in directives {
            guard exitStatus == nil else { return }
            switch directive {
            case .send(let datagram, let destination):
                sendDatagram(datagram, to: destination)
            case .setTimer(let id, let at):
                timers.schedule(id, at: at)
            case .openStream(let stream, let destination, let payload):
                openStream(stream, to: destination, payload: payload)
            case .persistIncarnation(let incarnation):
                persist(incarnation)
            case .event(let event):
                handle(event)
            }
        }
        armTimer()
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
            fired += 1
            perform(core.timerFired(id, at: moment))
        }
        armTimer()
    }

    // MARK: Streams

    private func openStream(_ stream: StreamID, to destination: Address, payload: Bytes) {
        counters.streamsOpened += 1
        let source = options.bind.isUnspecified ? nil : options.bind
        StreamClient.exchange(to: destination, from: source, payload: payload, framing: framing,
                              timeout: options.settings.streamTimeout, queue: queue) { [self] outcome in
            guard exitStatus == nil else { return }
            switch outcome {
            case .success(let reply):
                perform(core.streamReplied(stream, reply: reply, at: SystemClock.moment()))
            case .failure(let failure):
                counters.streamsFailed += 1
                if case .dropped(let reason) = failure { counters.streamReplyDrops.count(reason) }
                logger.debug("stream failed", ["peer": destination.description, "reason": failure.description])
                perform(core.streamFailed(stream, at: SystemClock.moment()))
            }
        }
    }

    /// An authenticated inbound stream request: the core's reply payload, or nil to close.
    func handleStream(_ payload: Bytes, from sender: Address) -> Bytes? {
        guard exitStatus == nil else { return nil }
        let (reply, directives) = core.handleStreamRequest(payload, from: sender, at: SystemClock.moment())
        perform(directives)
        return reply
    }

    // MARK: Events

    private func handle(_ event: MeshEvent) {
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
            logger.info("joined the mesh", ["seed": seed.description])
        case .duplicateName(let address):
            fail("another live node is already named '\(options.name)' (at \(address)); start this one with a different --name (or its own --data)")
        case .leaveAnnounced(let incarnation):
            logger.info("leaving: announced", ["incarnation": String(incarnation)])
        }
    }
}
