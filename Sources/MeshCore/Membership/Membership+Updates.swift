/// Applying membership updates: the ordering rule (higher incarnation wins; at equal incarnation
/// left > dead > suspect > alive), refutation, and the push-pull merge.
extension Membership {
    mutating func handle(_ message: Message, from sender: Address, now: Instant) {
        switch message {
        case .ping(let ping): handlePing(ping, from: sender, now: now)
        case .ack(let sequence): handleAck(sequence, from: sender, now: now)
        case .nack(let sequence): handleNack(sequence, from: sender)
        case .indirectAck(let sequence): handleIndirectAck(sequence, from: sender)
        case .pingRequest(let request): handlePingRequest(request, from: sender, now: now)
        case .alive(let alive): applyAlive(alive, now: now)
        case .suspect(let accusation):
            if isStaleAccusation(accusation.name, accusation.incarnation) { answerStaleAccusation(to: sender); return }
            applySuspect(accusation, now: now)
        case .dead(let accusation):
            if isStaleAccusation(accusation.name, accusation.incarnation) { answerStaleAccusation(to: sender); return }
            applyDead(accusation, now: now)
        case .leave(let leave):
            if isStaleAccusation(leave.name, leave.incarnation) { answerStaleAccusation(to: sender); return }
            applyLeave(leave, now: now)
        case .pushPull, .roundTripQuery, .roundTripAnswer: countDrop(.unexpectedMessage)
        case .capacity(let record):
            // A build before protocol 3 did not know this kind: it skipped and counted it.
            if speaksCapacity { receiveCapacity(record) } else { countDrop(.unknownMessageType) }
        }
    }

    /// An accusation of this node at an incarnation it has already refuted.
    func isStaleAccusation(_ accused: String, _ accusedIncarnation: UInt64) -> Bool {
        accused == name && accusedIncarnation < incarnation && !isLeaving
    }

    /// Whoever still passes on an old accusation of this node may have missed the refutation (its
    /// gossip can be spent before a slow path delivers the accusation): tell it directly.
    mutating func answerStaleAccusation(to sender: Address) {
        sendPacket([.alive(selfAlive)], to: sender)
    }

    /// Changes a member's status and keeps the counters, the down log and the event stream in step.
    mutating func setStatus(_ index: Int, _ status: MemberStatus, incarnation newIncarnation: UInt64, now: Instant) {
        var m = members[index: index]
        let wasDown = m.status.isDown
        m.status = status
        m.incarnation = newIncarnation
        m.statusChangedAt = now
        members[index: index] = m
        if wasDown && !status.isDown {
            upCount += 1
            insertIntoProbeOrder(m.name)
        } else if status.isDown {
            // Every move into a down status (dead → left included) restarts its retention.
            if !wasDown { upCount -= 1 }
            downLog.append((m.name, now))
        }
        if status != .suspect { suspicions.removeValue(forKey: m.name) }
        if wasDown != status.isDown { capacity.memberChanged(m.name, isDown: status.isDown) }
        emit(.event(.memberChanged(name: m.name, status: status, incarnation: newIncarnation, address: m.address)))
    }

    mutating func applyAlive(_ alive: Alive, now: Instant) {
        if alive.name == name {
            // Our own name from a previous life at the same address: make this life newer.
            if alive.address == address && alive.incarnation > incarnation && !isLeaving {
                bumpIncarnation(above: alive.incarnation)
            }
            return
        }
        guard alive.meta.count <= WireLimits.metaBytesMax else { countDrop(.oversized); return }
        guard let index = members.index(of: alive.name) else {
            guard members.count < settings.membersMax else { countDrop(.memberTableFull); return }
            let member = Member(name: alive.name, address: alive.address, incarnation: alive.incarnation,
                                status: .alive, meta: alive.meta, statusChangedAt: now)
            members.insert(member)
            upCount += 1
            insertIntoProbeOrder(alive.name)
            emit(.event(.memberChanged(name: alive.name, status: .alive, incarnation: alive.incarnation,
                                       address: alive.address)))
            enqueueBroadcast(about: alive.name, .alive(alive))
            return
        }
        let current = members[index: index]
        guard alive.incarnation > current.incarnation else { return }
        members[index: index].address = alive.address
        members[index: index].meta = alive.meta
        setStatus(index, .alive, incarnation: alive.incarnation, now: now)
        enqueueBroadcast(about: alive.name, .alive(alive))
    }

    mutating func applySuspect(_ accusation: Accusation, now: Instant) {
        if accusation.name == name {
            refute(accusation.incarnation)
            return
        }
        guard let index = members.index(of: accusation.name) else { return }
        let current = members[index: index]
        guard accusation.incarnation >= current.incarnation else { return }
        if current.status == .alive || accusation.incarnation > current.incarnation {
            startSuspicion(index, incarnation: accusation.incarnation, accuser: accusation.from, now: now)
            enqueueBroadcast(about: accusation.name, .suspect(accusation))
        } else if current.status == .suspect, settings.lifeguard, var suspicion = suspicions[accusation.name],
                  suspicion.confirm(by: accusation.from) {
            // An independent confirmation: the deadline moves closer. Pass it on so others count it.
            suspicions[accusation.name] = suspicion
            emit(.setTimer(.suspicion(accusation.name), at: max(now, suspicion.deadline)))
            enqueueBroadcast(about: accusation.name, .suspect(accusation))
        }
    }

    mutating func applyDead(_ accusation: Accusation, now: Instant) {
        if accusation.name == name {
            refute(accusation.incarnation)
            return
        }
        guard let index = members.index(of: accusation.name) else { return }
        let current = members[index: index]
        guard accusation.incarnation >= current.incarnation else { return }
        if current.status.isDown && accusation.incarnation == current.incarnation { return }
        setStatus(index, .dead, incarnation: accusation.incarnation, now: now)
        enqueueBroadcast(about: accusation.name, .dead(accusation))
    }

    mutating func applyLeave(_ leave: Leave, now: Instant) {
        if leave.name == name {
            if !isLeaving { refute(leave.incarnation) }
            return
        }
        guard let index = members.index(of: leave.name) else { return }
        let current = members[index: index]
        guard leave.incarnation >= current.incarnation else { return }
        if current.status == .left && leave.incarnation == current.incarnation { return }
        setStatus(index, .left, incarnation: leave.incarnation, now: now)
        enqueueBroadcast(about: leave.name, .leave(leave))
    }

    mutating func startSuspicion(_ index: Int, incarnation suspectIncarnation: UInt64, accuser: String, now: Instant) {
        let member = members[index: index]
        let n = upCount + 1
        let timeoutMin = suspicionTimeoutMin(members: n)
        let expected = settings.lifeguard && n - 2 >= settings.suspicionConfirmationsExpected
            ? settings.suspicionConfirmationsExpected : 0
        let timeoutMax = settings.lifeguard
            ? Nanoseconds(settings.suspicionMaxMultiplier * Double(timeoutMin)) : timeoutMin
        let suspicion = Suspicion(accuser: accuser, startedAt: now, timeoutMin: timeoutMin,
                                  timeoutMax: timeoutMax, confirmationsExpected: expected)
        setStatus(index, .suspect, incarnation: suspectIncarnation, now: now)
        suspicions[member.name] = suspicion
        emit(.setTimer(.suspicion(member.name), at: suspicion.deadline))
        if settings.confirmationProbes && accuser != name && !isLeaving {
            requestConfirmationProbe(member.name, now: now)
        }
    }

    mutating func suspicionExpired(_ memberName: String, now: Instant) {
        guard let suspicion = suspicions[memberName], let index = members.index(of: memberName),
              members[index: index].status == .suspect else { return }
        guard suspicion.deadline <= now else {
            emit(.setTimer(.suspicion(memberName), at: suspicion.deadline))
            return
        }
        let member = members[index: index]
        emit(.event(.deathDeclared(name: memberName, incarnation: member.incarnation)))
        applyDead(Accusation(incarnation: member.incarnation, name: memberName, from: name), now: now)
    }

    /// Someone holds this node suspect, dead or left at `accusedIncarnation`: announce a newer life.
    mutating func refute(_ accusedIncarnation: UInt64) {
        guard accusedIncarnation >= incarnation, !isLeaving else { return }
        if settings.lifeguard { health.apply(1) }
        if bumpIncarnation(above: accusedIncarnation) { emit(.event(.refuted(incarnation: incarnation))) }
    }

    /// Moves to an incarnation above `floor`, persists it, then announces it. False, and nothing
    /// changes, when this node is already at `WireLimits.counterMax` (no newer life to announce).
    @discardableResult
    mutating func bumpIncarnation(above floor: UInt64) -> Bool {
        let next = nextIncarnation(above: floor)
        guard next > incarnation else { return false }
        incarnation = next
        emit(.persistIncarnation(incarnation))
        enqueueBroadcast(about: name, .alive(selfAlive))
        return true
    }

    /// The incarnation after both ours and `floor`, saturating at `WireLimits.counterMax`: never
    /// traps, and never leaves the range the wire accepts. Every counter from the wire is at most
    /// `counterMax` (larger ones are dropped), so refutation stays correct below it; reaching it
    /// honestly takes 2^63 restarts or refutations.
    func nextIncarnation(above floor: UInt64) -> UInt64 {
        let base = max(incarnation, floor)
        return base < WireLimits.counterMax ? base + 1 : WireLimits.counterMax
    }

    /// True when a push-pull's sender speaks a protocol version we speak; else counted
    /// (`incompatibleVersion`) and the state must not be merged.
    mutating func isCompatible(_ state: PushPull) -> Bool {
        guard state.versions.overlaps(codec.versions) else { countDrop(.incompatibleVersion); return false }
        return true
    }

    /// Merges a peer's full state. The sender lists itself first; remote suspicions and deaths of
    /// members we know become suspicions here (memberlist's rule), so a stale view never kills a
    /// member outright.
    mutating func merge(_ state: PushPull, now: Instant) {
        let sender = state.members.first?.name ?? ""
        statesMerged &+= 1
        defer { noteUnlearned(state) }
        for remote in state.members {
            switch remote.status {
            case .alive:
                applyAlive(Alive(incarnation: remote.incarnation, name: remote.name, address: remote.address,
                                 meta: remote.meta), now: now)
            case .suspect, .dead:
                applySuspect(Accusation(incarnation: remote.incarnation, name: remote.name, from: sender), now: now)
            case .left:
                applyLeave(Leave(incarnation: remote.incarnation, name: remote.name), now: now)
            }
        }
        // Records from a push-pull are taken, not gossiped again: anti-entropy repairs what gossip missed.
        for record in state.capacities ?? [] where speaksCapacity {
            if capacity.take(record, now: now, memberIsDown: members[record.name].map(\.status.isDown)) {
                emit(.event(.capacityTaken(name: record.name, incarnation: record.incarnation, version: record.version)))
            }
        }
    }

    /// Forgets members dead or left longer than the retention period.
    mutating func reapTick(now: Instant) {
        while downLogStart < downLog.count, downLog[downLogStart].at + settings.deadRetention <= now {
            let entry = downLog[downLogStart]
            downLogStart += 1
            if let member = members[entry.name], member.status.isDown, member.statusChangedAt == entry.at {
                members.remove(entry.name)
                forgetRoundTrip(entry.name)
                broadcasts.removeAll(about: entry.name)
                capacity.forget(entry.name)
                emit(.event(.memberForgotten(name: entry.name)))
            }
        }
        let members = self.members
        capacity.forgetUnknown(before: now + (-settings.deadRetention)) { members[$0] != nil }
        if downLogStart > 1024 && downLogStart * 2 > downLog.count {
            downLog.removeFirst(downLogStart)
            downLogStart = 0
        }
        emit(.setTimer(.reap, at: now + reapPeriod))
    }
}
