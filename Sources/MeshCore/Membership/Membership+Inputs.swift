/// The inputs `NodeInstance` routes to membership, each after setting `currentTime`.
extension Membership {
    /// Starts the node: a new incarnation (persisted first), the join through the seeds, and the
    /// periodic timers (each with random jitter so members do not act in lockstep).
    mutating func start() {
        let now = currentTime
        incarnation = nextIncarnation(above: incarnation)
        emit(.persistIncarnation(incarnation))
        enqueueBroadcast(about: name, .alive(selfAlive))
        if seeds.isEmpty {
            hasJoined = true
        } else {
            attemptJoin(now: now)
        }
        emit(.setTimer(.probe, at: now + random.nanoseconds(0, settings.probeInterval)))
        emit(.setTimer(.pushPull, at: now + random.nanoseconds(pushPullPeriod / 2, pushPullPeriod)))
        emit(.setTimer(.reconnect, at: now + random.nanoseconds(settings.reconnectInterval / 2, settings.reconnectInterval)))
        emit(.setTimer(.reap, at: now + reapPeriod))
        scheduleCapacityVersion()
    }

    /// Handles one datagram. Anything malformed, unauthenticated or foreign is dropped and counted.
    mutating func receiveDatagram(_ datagram: Bytes, from sender: Address) {
        let now = currentTime
        switch codec.open(datagram) {
        case .failure(let reason):
            drops.count(reason)
        case .success(let range):
            notePeerVersions(ProtocolRange(minimum: datagram[0], current: datagram[1]), at: sender)
            switch PacketCodec.messages(in: datagram, range: range, skipped: &drops) {
            case .failure(let reason):
                drops.count(reason)
            case .success(let messages):
                // Capacity records after membership updates: a record of a member this node hears
                // of in the same datagram is then taken. Pings last: their acks then carry whatever
                // this datagram's updates made us announce (a refutation of the suspicion the ping
                // itself carried, say).
                for message in messages where message.handlingStage == 0 { handle(message, from: sender, now: now) }
                for message in messages where message.handlingStage == 1 { handle(message, from: sender, now: now) }
                for message in messages where message.handlingStage == 2 { handle(message, from: sender, now: now) }
            }
        }
    }

    /// Answers an inbound stream request (a push-pull or join): the reply payload, or nil when the
    /// request is dropped (the node closes the stream).
    mutating func handleStreamRequest(_ request: Bytes, from sender: Address, senderName: String? = nil) -> Bytes? {
        guard let state = decodePushPull(request, sender: senderName) else { return nil }
        // A state from an incompatible protocol range is not merged, but still answered: the
        // reply tells the peer our range.
        if isCompatible(state) { merge(state, now: currentTime) }
        return MessageCodec.encode(.pushPull(PushPull(versions: codec.versions, join: false, members: localState(),
                                                      capacities: capacitySection(for: state.versions))))
    }

    /// The reply to one of this node's exchanges arrived. Returns why it was not merged (for an
    /// operator's join), or nil when it was; a join that failed so is also reported (`joinFailed`).
    @discardableResult
    mutating func exchangeReplied(_ exchange: UInt64, reply: Bytes, senderName: String? = nil) -> String? {
        guard let purpose = streams.removeValue(forKey: exchange) else { return "the exchange was already over" }
        guard let state = decodePushPull(reply, sender: senderName) else {
            if case .join(let seed) = purpose { joinFailed(through: seed, .badAnswer) }
            return "its answer could not be read (counted as a drop)"
        }
        guard isCompatible(state) else {
            if case .join(let seed) = purpose { joinFailed(through: seed, .badAnswer) }
            return "it speaks protocol \(state.versions), this node \(codec.versions)"
        }
        let peer: Address
        var justJoined = false
        defer { notePeerVersions(state.versions, at: peer) }
        switch purpose {
        case .join(let seed):
            peer = seed
            if let mine = state.members.first(where: { $0.name == name }),
               mine.address != address, mine.status < .dead {
                emit(.event(.duplicateName(address: mine.address)))
                return "another live node there is named \(name) (at \(mine.address))"
            }
            if !hasJoined {
                hasJoined = true
                justJoined = true
                emit(.event(.joined(seed: seed)))
            }
        case .sync(let address):
            peer = address
        }
        let refutationsBefore = incarnation
        merge(state, now: currentTime)
        if justJoined { capacityJoined() }
        if incarnation != refutationsBefore && !isLeaving {
            // The peer thought us down: tell it at once that we are not, rather than at the next sync.
            openSync(to: peer)
        }
        return nil
    }

    /// One of this node's exchanges failed (refused, timed out, cut or refused by the peer).
    mutating func exchangeFailed(_ exchange: UInt64, _ failure: ExchangeFailure) {
        guard let purpose = streams.removeValue(forKey: exchange) else { return }
        if case .join(let seed) = purpose { joinFailed(through: seed, failure) }
    }

    /// Reports a failed join attempt while this node has not joined: the shell logs it (join
    /// attempts back off, so the reports do too) and shows the last one until the node joins.
    mutating func joinFailed(through seed: Address, _ failure: ExchangeFailure) {
        guard !hasJoined, !isLeaving else { return }
        emit(.event(.joinFailed(seed: seed, reason: failure)))
    }

    /// A timer this machine asked for fired (only its latest arming reaches here).
    mutating func timerFired(_ timer: MembershipTimer) {
        let now = currentTime
        switch timer {
        case .probe: probeTick(now: now)
        case .probeTimeout(let sequence): probeTimedOut(sequence, now: now)
        case .probeDeadline(let sequence): probeDeadlinePassed(sequence, now: now)
        case .relayTimeout(let sequence): relayTimedOut(sequence)
        case .gossip: gossipTick(now: now)
        case .pushPull: pushPullTick(now: now)
        case .reconnect: reconnectTick(now: now)
        case .join: joinRetry(now: now)
        case .suspicion(let member): suspicionExpired(member, now: now)
        case .reap: reapTick(now: now)
        case .capacity: capacityTimerFired()
        }
    }

    /// Leaves the mesh gracefully: announces `left` directly to a few members and through gossip,
    /// and stops probing. The shell lets a few gossip periods pass before it exits.
    mutating func leave() {
        guard !isLeaving else { return }
        isLeaving = true
        let message = Message.leave(Leave(incarnation: incarnation, name: name))
        enqueueBroadcast(about: name, message)
        let targets = randomMembers(count: max(settings.gossipFanout * 2, 4), now: currentTime) { $0.status < .dead }
        for target in targets { sendPacket([message], to: members[index: target].address) }
        emit(.event(.leaveAnnounced(incarnation: incarnation)))
    }

    /// Replaces this node's metadata and announces it with a new incarnation.
    mutating func updateMeta(_ newMeta: Bytes) {
        precondition(newMeta.count <= WireLimits.metaBytesMax, "meta of \(newMeta.count) bytes")
        meta = newMeta
        bumpIncarnation(above: incarnation)
    }
}
