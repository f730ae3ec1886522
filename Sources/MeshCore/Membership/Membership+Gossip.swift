/// Dissemination: piggy-backed and periodic gossip, push-pull sync, joining and reconnecting.
extension Membership {
    /// How many times each member sends one update: λ · ⌈log10(n + 1)⌉.
    var retransmitLimit: Int { settings.retransmitMultiplier * MembershipSettings.logScale(members: upCount) }

    mutating func enqueueBroadcast(about key: String, _ message: Message) {
        enqueueBroadcast(.membership, about: key, message)
    }

    mutating func enqueueBroadcast(_ kind: BroadcastQueue.Kind, about key: String, _ message: Message) {
        broadcasts.enqueue(key: BroadcastQueue.Key(kind, key), message: MessageCodec.encode(message))
        if !isGossipArmed {
            isGossipArmed = true
            // The gossip timer is armed only while something is queued: an idle mesh sends no gossip.
            emit(.setTimer(.gossip, at: nextGossipAt))
        }
    }

    /// Gossip happens on a fixed grid of the gossip interval, from when this node first had news.
    var nextGossipAt: Instant { currentTime + settings.gossipInterval }

    /// Sends `messages` in one datagram to `to`, filling the room left with queued broadcasts.
    mutating func sendPacket(_ messages: [Message], to destination: Address) {
        var writer = ByteWriter(capacity: 256)
        for message in messages { MessageCodec.encode(message, into: &writer) }
        let room = codec.payloadBytesMax - writer.bytes.count
        broadcasts.fill(&writer, bytesMax: room, limit: retransmitLimit, capacityLimit: capacityRetransmitLimit,
                        messagesMax: WireLimits.messagesPerDatagramMax - messages.count)
        emit(.send(codec.seal(payload: writer.bytes), to: destination))
    }

    mutating func gossipTick(now: Instant) {
        guard !broadcasts.isEmpty else { isGossipArmed = false; return }
        let toTheDead = settings.gossipToTheDead
        let targets = randomMembers(count: settings.gossipFanout, now: now) { member in
            member.status < .dead || (member.status == .dead && now - member.statusChangedAt < toTheDead)
        }
        for target in targets {
            guard !broadcasts.isEmpty else { break }
            var writer = ByteWriter(capacity: 512)
            broadcasts.fill(&writer, bytesMax: codec.payloadBytesMax, limit: retransmitLimit,
                            capacityLimit: capacityRetransmitLimit, messagesMax: WireLimits.messagesPerDatagramMax)
            guard !writer.bytes.isEmpty else { break }
            emit(.send(codec.seal(payload: writer.bytes), to: members[index: target].address))
        }
        if broadcasts.isEmpty || targets.isEmpty {
            // Nothing left, or no one to tell: the next queued update arms the timer again.
            isGossipArmed = false
        } else {
            emit(.setTimer(.gossip, at: now + settings.gossipInterval))
        }
    }

    /// Up to `count` distinct members that pass `isEligible`, chosen at random. Rejection sampling
    /// keeps this cheap in large meshes; small meshes fall back to a full scan.
    func randomMembersIndices(count: Int, generator: inout SeededGenerator, isEligible: (Member) -> Bool) -> [Int] {
        guard count > 0, members.count > 0 else { return [] }
        var chosen: [Int] = []
        if members.count <= 4 * count + 8 {
            var candidates: [Int] = []
            for i in 0..<members.count where isEligible(members[index: i]) { candidates.append(i) }
            candidates.shuffle(using: &generator)
            return Array(candidates.prefix(count))
        }
        var attempts = 0
        while chosen.count < count && attempts < count * 8 {
            attempts += 1
            let i = generator.below(members.count)
            if !chosen.contains(i) && isEligible(members[index: i]) { chosen.append(i) }
        }
        return chosen
    }

    mutating func randomMembers(count: Int, now: Instant, _ isEligible: (Member) -> Bool) -> [Int] {
        var generator = random
        let chosen = randomMembersIndices(count: count, generator: &generator, isEligible: isEligible)
        random = generator
        return chosen
    }

    // MARK: Push-pull, join, reconnect

    /// The push-pull state in one stream frame, or nil with the reason counted.
    /// The push-pull state in `frame`; with `sender` (the name its stream frames authenticated),
    /// a state whose first entry is another member is refused.
    mutating func decodePushPull(_ frame: Bytes, sender: String? = nil) -> PushPull? {
        guard frame.count <= WireLimits.streamFrameBytesMax else { countDrop(.oversized); return nil }
        var reader = ByteReader(frame)
        do throws(DecodeError) {
            let message = try MessageCodec.decode(from: &reader)
            guard reader.isAtEnd else { countDrop(.malformed); return nil }
            guard case .pushPull(let state) = message else { countDrop(.unexpectedMessage); return nil }
            // A build before protocol 3 refused any byte after the member states.
            if !speaksCapacity && state.capacities != nil { countDrop(.malformed); return nil }
            if let sender, state.members.first?.name != sender { countDrop(.senderMismatch); return nil }
            return state
        } catch {
            countDrop(DropReason(error))
            return nil
        }
    }

    mutating func openSync(to peer: Address) {
        openStream(.sync(peer), to: peer, join: false)
    }

    /// Starts an exchange; returns its number, or nil when `streamsInFlightMax` are under way.
    @discardableResult
    mutating func openStream(_ purpose: StreamPurpose, to peer: Address, join: Bool) -> UInt64? {
        guard streams.count < settings.streamsInFlightMax else { return nil }
        nextExchange += 1
        streams[nextExchange] = purpose
        let state = PushPull(versions: codec.versions, join: join, members: localState(),
                             capacities: capacitySection(for: peerVersions[peer]))
        let payload = MessageCodec.encode(.pushPull(state))
        emit(.exchange(nextExchange, to: peer, payload: payload))
        return nextExchange
    }

    var pushPullPeriod: Nanoseconds {
        let scale = max(1, (upCount + 1) / max(1, settings.pushPullScaleMembers))
        return settings.pushPullInterval * Nanoseconds(scale)
    }

    mutating func pushPullTick(now: Instant) {
        if !isLeaving, let peer = randomMembers(count: 1, now: now, { $0.status == .alive }).first {
            openSync(to: members[index: peer].address)
        }
        emit(.setTimer(.pushPull, at: now + pushPullPeriod))
    }

    mutating func attemptJoin(now: Instant) {
        joinAttempts += 1
        for seed in seeds.prefix(8) { openStream(.join(seed), to: seed, join: true) }
        let delay = min(settings.reconnectInterval,
                        settings.joinRetryInitial << Nanoseconds(min(joinAttempts - 1, 20)))
        emit(.setTimer(.join, at: now + delay))
    }

    mutating func joinRetry(now: Instant) {
        guard !hasJoined, !isLeaving else { return }
        attemptJoin(now: now)
    }

    /// Re-contacts one random seed (while this node is alone) or recently dead member, so two halves
    /// of a partition, or a node left alone, merge again once the network heals.
    mutating func reconnectTick(now: Instant) {
        defer { emit(.setTimer(.reconnect, at: now + settings.reconnectInterval)) }
        guard !isLeaving else { return }
        var candidates: [Address] = upCount == 0 ? seeds : []
        var deadCount = 0
        for i in downLogStart..<downLog.count {
            let entry = downLog[i]
            if let m = members[entry.name], m.status == .dead, m.statusChangedAt == entry.at { deadCount += 1 }
        }
        if deadCount > 0 {
            // Pick one dead member at random without building the whole list.
            var pick = random.below(deadCount)
            for i in downLogStart..<downLog.count {
                let entry = downLog[i]
                guard let m = members[entry.name], m.status == .dead, m.statusChangedAt == entry.at else { continue }
                if pick == 0 { candidates.append(m.address); break }
                pick -= 1
            }
        }
        guard !candidates.isEmpty else { return }
        openSync(to: candidates[random.below(candidates.count)])
    }
}
