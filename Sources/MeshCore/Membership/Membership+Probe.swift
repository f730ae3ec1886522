/// Failure detection: randomized round-robin probing (SWIM §4.3), indirect probes through k
/// members with nacks (Lifeguard §IV-A), and the local health multiplier. Timeouts come from
/// `Membership+Timeouts.swift`: the preset's, or (adaptive, the default) from each member's
/// measured round trip (`AdaptiveTiming` has the formulas); acks of single pings feed the estimates.
extension Membership {
    mutating func probeTick(now: Instant) {
        guard !isLeaving else { return }
        if let index = nextProbeTarget() { startProbe(index, now: now) }
        emit(.setTimer(.probe, at: now + health.scale(settings.probeInterval)))
    }

    /// The next member in the shuffled order that is still up; reshuffles after each full pass.
    mutating func nextProbeTarget() -> Int? {
        for pass in 0..<2 {
            while probeCursor < probeOrder.count {
                let candidate = probeOrder[probeCursor]
                probeCursor += 1
                if let index = members.index(of: candidate), !members[index: index].status.isDown {
                    return index
                }
            }
            guard pass == 0 else { break }
            probeOrder.removeAll(keepingCapacity: true)
            for m in members.members where !m.status.isDown { probeOrder.append(m.name) }
            probeOrder.shuffle(using: &random)
            probeCursor = 0
        }
        return nil
    }

    /// A member that comes up joins the current pass at a random position (SWIM §4.3).
    mutating func insertIntoProbeOrder(_ memberName: String) {
        let position = probeCursor + random.below(probeOrder.count - probeCursor + 1)
        probeOrder.insert(memberName, at: position)
    }

    /// Probes a member that someone else suspects, now or as soon as a probe slot is free.
    mutating func requestConfirmationProbe(_ memberName: String, now: Instant) {
        if probes.count < settings.probesInFlightMax, let index = members.index(of: memberName) {
            startProbe(index, now: now)
        } else if pendingConfirmations.count < Self.pendingConfirmationsMax,
                  !pendingConfirmations.contains(memberName) {
            pendingConfirmations.append(memberName)
        }
    }

    /// Starts queued confirmation probes while slots are free; skips members no longer suspect.
    mutating func drainPendingConfirmations(now: Instant) {
        var taken = 0
        while taken < pendingConfirmations.count && probes.count < settings.probesInFlightMax {
            let memberName = pendingConfirmations[taken]
            taken += 1
            if let index = members.index(of: memberName), members[index: index].status == .suspect {
                startProbe(index, now: now)
            }
        }
        pendingConfirmations.removeFirst(taken)
    }

    mutating func startProbe(_ index: Int, now: Instant) {
        guard probes.count < settings.probesInFlightMax else { return }
        let target = members[index: index]
        let sequence = nextSequenceNumber()
        probes[sequence] = Probe(target: target.name, targetAddress: target.address,
                                 targetIncarnation: target.incarnation, sentAt: now)
        probeStats.started &+= 1
        var messages: [Message] = [.ping(Ping(sequence: sequence, target: target.name, source: name))]
        if settings.lifeguard, target.status == .suspect, let suspicion = suspicions[target.name] {
            // Buddy system: tell a suspected member so it can refute at once.
            messages.append(.suspect(Accusation(incarnation: target.incarnation, name: target.name,
                                                from: suspicion.accusers[0])))
        }
        sendPacket(messages, to: target.address)
        emit(.setTimer(.probeTimeout(sequence), at: now + health.scale(probeTimeoutBase(for: target.name))))
        emit(.setTimer(.probeDeadline(sequence), at: initialProbeDeadline(for: target.name, sentAt: now)))
    }

    mutating func probeTimedOut(_ sequence: UInt32, now: Instant) {
        guard var probe = probes[sequence], !probe.isAcked else { return }
        if settings.retryDirectPing {
            probe.isRetried = true
            sendPacket([.ping(Ping(sequence: sequence, target: probe.target, source: name))], to: probe.targetAddress)
        }
        let helpers = randomMembers(count: settings.indirectChecks, now: now) {
            $0.status == .alive && $0.name != probe.target
        }
        let request = Message.pingRequest(PingRequest(sequence: sequence, target: probe.target,
                                                      targetAddress: probe.targetAddress))
        for helper in helpers {
            let relay = members[index: helper].address
            probe.relayAddresses.append(relay)
            sendPacket([request], to: relay)
        }
        if settings.lifeguard { probe.nacksExpected = helpers.count }
        probes[sequence] = probe
        if settings.adaptive != nil {
            let helperNames = helpers.map { members[index: $0].name }
            let deadline = indirectProbeDeadline(for: probe.target, helpers: helperNames, sentAt: probe.sentAt, now: now,
                                                 current: initialProbeDeadline(for: probe.target, sentAt: probe.sentAt))
            emit(.setTimer(.probeDeadline(sequence), at: deadline))
        }
    }

    mutating func probeDeadlinePassed(_ sequence: UInt32, now: Instant) {
        guard let probe = probes.removeValue(forKey: sequence) else { return }
        if !pendingConfirmations.isEmpty && !isLeaving { drainPendingConfirmations(now: now) }
        guard !probe.isAcked else { return }
        probeStats.failed &+= 1
        if settings.lifeguard {
            // Missing nacks mean the helpers could not hear us either: we may be the slow one.
            health.apply(probe.nacksExpected > 0 ? probe.nacksExpected - probe.nacksReceived : 1)
            if recentlyFailedProbes.count == Self.recentlyFailedProbesMax { recentlyFailedProbes.removeFirst() }
            recentlyFailedProbes.append((sequence, [probe.targetAddress] + probe.relayAddresses))
        }
        guard let index = members.index(of: probe.target), members[index: index].address == probe.targetAddress,
              members[index: index].status < .dead,
              members[index: index].incarnation == probe.targetIncarnation else { return }
        let target = members[index: index]
        emit(.event(.suspicionRaised(name: target.name, incarnation: target.incarnation)))
        applySuspect(Accusation(incarnation: target.incarnation, name: target.name, from: name), now: now)
    }

    mutating func handlePing(_ ping: Ping, from sender: Address, now: Instant) {
        guard ping.target == name else { countDrop(.wrongTarget); return }
        sendPacket([.ack(sequence: ping.sequence)], to: sender)
        syncWithUnknownProber(ping.source, at: sender, now: now)
    }

    /// How often at most a ping from a member this node does not know opens a push-pull with it.
    static let unknownProberSyncInterval: Nanoseconds = .seconds(2)

    /// A member that probes this node knows it, but this node does not know that member: this node
    /// restarted (a node without seeds comes back knowing no one) and the gossip about the prober
    /// is spent. A push-pull with it brings the whole view at once, instead of after a push-pull
    /// period (30 s) that happens to pick a member that knows more.
    mutating func syncWithUnknownProber(_ source: String, at sender: Address, now: Instant) {
        guard source != name, members.index(of: source) == nil, !isLeaving,
              lastUnknownProberSync.map({ now - $0 >= Self.unknownProberSyncInterval }) ?? true else { return }
        lastUnknownProberSync = now
        openSync(to: sender)
    }

    /// An ack counts only from where the ping went: the probed member for our probes, the relayed
    /// target for a relay. Anything else is a replayed or forged answer, dropped and counted.
    mutating func handleAck(_ sequence: UInt32, from sender: Address, now: Instant) {
        if var probe = probes[sequence] {
            guard sender == probe.targetAddress else { countDrop(.unexpectedAnswer); return }
            guard !probe.isAcked else { return }
            probe.isAcked = true
            probes[sequence] = probe
            if let index = members.index(of: probe.target) {
                members[index: index].lastHeardAt = now
                let roundTrip = Int32(clamping: (now - probe.sentAt) / 1_000)
                members[index: index].roundTripMicroseconds = roundTrip
                members[index: index].smoothRoundTrip(roundTrip)
            }
            // Karn's rule: after a second ping this ack may answer either, so it is not a sample.
            if !probe.isRetried { recordRoundTrip(now - probe.sentAt, for: probe.target) }
            if settings.lifeguard && now - probe.sentAt < health.scale(probeTimeoutBase(for: probe.target)) {
                health.apply(-1)
            }
        } else if let relay = relays[sequence] {
            guard sender == relay.targetAddress else { countDrop(.unexpectedAnswer); return }
            relays.removeValue(forKey: sequence)
            sendPacket([.indirectAck(sequence: relay.originSequence)], to: relay.origin)
        } else {
            noteLateAnswer(sequence, from: sender)
        }
    }

    /// An answer to a probe that already failed: the target answered, this node was too slow to
    /// see it. Only from an address that could have answered that probe.
    mutating func noteLateAnswer(_ sequence: UInt32, from sender: Address) {
        guard settings.lifeguard, let i = recentlyFailedProbes.firstIndex(where: { $0.sequence == sequence }) else { return }
        guard recentlyFailedProbes[i].answerers.contains(sender) else { countDrop(.unexpectedAnswer); return }
        recentlyFailedProbes.remove(at: i)
        health.apply(1)
    }

    /// An indirect ack or a nack counts only from a relay this node asked for that probe.
    mutating func handleIndirectAck(_ sequence: UInt32, from sender: Address) {
        guard var probe = probes[sequence] else { noteLateAnswer(sequence, from: sender); return }
        guard probe.relayAddresses.contains(sender) else { countDrop(.unexpectedAnswer); return }
        guard !probe.isAcked else { return }
        probe.isAcked = true
        probes[sequence] = probe
    }

    mutating func handleNack(_ sequence: UInt32, from sender: Address) {
        guard var probe = probes[sequence], !probe.isAcked else { return }
        guard probe.relayAddresses.contains(sender) else { countDrop(.unexpectedAnswer); return }
        probe.nacksReceived = min(probe.nacksExpected, probe.nacksReceived + 1)
        probes[sequence] = probe
    }

    mutating func handlePingRequest(_ request: PingRequest, from origin: Address, now: Instant) {
        guard relays.count < settings.relaysInFlightMax, request.target != name else { return }
        let sequence = nextSequenceNumber()
        relays[sequence] = Relay(origin: origin, originSequence: request.sequence, targetAddress: request.targetAddress)
        sendPacket([.ping(Ping(sequence: sequence, target: request.target, source: name))], to: request.targetAddress)
        emit(.setTimer(.relayTimeout(sequence), at: now + relayWait(for: request.target)))
    }

    mutating func relayTimedOut(_ sequence: UInt32) {
        guard let relay = relays.removeValue(forKey: sequence) else { return }
        sendPacket([.nack(sequence: relay.originSequence)], to: relay.origin)
    }
}
