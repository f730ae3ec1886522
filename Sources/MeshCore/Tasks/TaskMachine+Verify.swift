/// Verification before acting on a copy that may be out of date: a recovered owner's task (a
/// takeover may have happened while this node was down) and a takeover candidate (the owner may
/// have moved the task to another replica). Every member that is up is asked for its copy; the
/// action goes ahead only when a majority of the members this node knows (itself included)
/// answered — so the two sides of a partition never both act — none holds a newer copy, and (for
/// a takeover) none holds an equal one under a smaller name.
extension TaskMachine {
    /// Recovered owned tasks not yet verified start their verification (after the quiet period).
    mutating func verifyRecovered(peers: TaskPeers) {
        guard now >= quietUntil + TaskSettings.unknownOwnerWait, peers.hasJoined else { return }
        for id in tickIDs where owned[id]!.isVerified == false && verifications[id] == nil {
            verify(id, purpose: .recoveredOwner, peers: peers)
        }
    }

    /// Asks every member that is up for its copy of `id`.
    mutating func verify(_ id: TaskID, purpose: Verification.Purpose, peers: TaskPeers) {
        // A takeover or a replica replacement changes the task's (owner, replica) pair, and the
        // majority that allows it is counted over the members known: over a partial view (a node
        // without seeds restarted, known only to the members that contacted it) two sides of a
        // partition could each count one and both change the pair. Only a full view counts.
        guard purpose == .recoveredOwner || peers.hasFullView else { return }
        if peers.aliveNames.isEmpty {
            if purpose == .resolveMark { return }   // the takeover was stored on another member
            // Alone: nothing to ask, unless this node has not heard of the mesh again yet, or the
            // task had a second copy somewhere (a node without seeds restarts knowing no one).
            let hadCopies = (records[id]?.progress.copies ?? 1) > 1
            if peers.knownCount <= 1 && !hadCopies { verified(id, purpose, peers: peers) }
            return
        }
        var verification = Verification(purpose: purpose, known: peers.knownCount)
        if purpose == .recoveredOwner, let replica = owned[id]?.replica {
            // The replica this task had must answer unless membership knows it is gone: a node
            // that restarted knowing few members must not take a partial view for the mesh.
            guard let status = peers.status(of: replica) else { return }
            // A dead replica may hold this epoch's terminal state only if this node synced it as
            // a pending finish first, which recovery resumes (`TaskFinishingEntry`): nothing to
            // wait for here.
            if !status.isDown { verification.required = replica }
            // With the replica down, it may have taken over and stored the next epoch on a new
            // replica anywhere: every other member known must answer (one held dead may only be
            // cut off, on the side that holds the copies).
            if status.isDown { verification.needsEveryMember = true; verification.excused = replica }
        }
        // Every member known, dead ones too: a view can be stale (a healed partition, a node that
        // restarted), and a member held dead that answers may hold the newest copy.
        var asked = Array(peers.knownNames.prefix(settings.queryMembersMax))
        if purpose == .takeover, let owner = records[id]?.progress.owner { verification.presumedDead = owner }
        if purpose == .takeover && !liveCopies.contains(id) {
            // A recovered copy: the owner may have moved the task while this node was down.
            verification.needsEveryMember = true
            verification.excused = verification.presumedDead
        }
        if purpose == .replaceReplica, let replica = owned[id]?.replica { verification.presumedDead = replica }
        if purpose == .resolveMark {
            // The takeover may be held by any member, one held dead included: every one answers.
            verification.needsEveryMember = true
        }
        if purpose == .moveTakeover, let replica = owned[id]?.replica {
            // That replica may hold the takeover and, cut off rather than dead, take it over in
            // turn: every other member must answer, and one holding a newer copy fences this off.
            verification.presumedDead = replica
            verification.needsEveryMember = true
            verification.excused = replica
        }
        if let dead = verification.presumedDead, !asked.contains(dead) { asked.append(dead) }
        for peer in asked {
            if openExchange(.verify(id, peer: peer), to: peer, in: peers, payload: .query(.task(id))) {
                verification.waiting += 1
            } else if verification.needsEveryMember && peer != verification.excused {
                return   // a member that cannot be asked: tried again on a later tick
            }
        }
        // Nothing to wait for: never left pending (it would block every later verification).
        if verification.waiting == 0 { return }
        verifications[id] = verification
    }

    /// One member's answer (nil: it failed, and the verification is tried again on a later tick).
    mutating func verifyAnswered(_ id: TaskID, from peer: String?, _ message: TaskMessage?, peers: TaskPeers) {
        guard var verification = verifications[id] else { return }
        verification.waiting -= 1
        if message != nil, let peer, peer == verification.presumedDead {
            // It answered: it is not dead (a healed partition, a stale view). Wait.
            verification.isBlocked = true
        }
        if message == nil, verification.needsEveryMember, let peer, peer != verification.excused {
            verification.isBlocked = true   // a member did not answer: asked again on a later tick
        }
        // A takeover being moved compares with the takeover (the next epoch), not the old copy.
        let moving = verification.purpose == .moveTakeover ? owned[id]?.finishing : nil
        if verification.purpose == .resolveMark {
            if case .records(let copies, let isPassive)? = message {
                verification.answered += 1
                if let theirs = copies.first(where: { $0.id == id }),
                   markAnswered(id, theirs: theirs, isPassive: isPassive, from: peer, peers: peers) {
                    verifications[id] = nil
                    return
                }
            }
        } else if case .records(let copies, let isPassive)? = message, let mine = moving ?? records[id] {
            verification.answered += 1
            if peer == verification.required { verification.heardRequired = true }
            if let theirs = copies.first(where: { $0.id == id }) {
                // A newer copy naming this node owner at the same epoch is this task's terminal
                // state, stored on the replica before this node crashed and lost its own: adopt it.
                let finishedHere = theirs.progress.owner == name && theirs.state.isTerminal
                    && theirs.progress.ownerEpoch == mine.progress.ownerEpoch
                if isNewer(theirs, than: mine) && (theirs.progress.owner != name || finishedHere) {
                    verifications[id] = nil
                    return fencedOff(id, by: theirs, peers: peers)
                }
                // Of two members holding equal copies that could each take over, the smaller name
                // acts; a passive copy never takes over, so it blocks nothing.
                if verification.purpose == .takeover, !isPassive, !isNewer(mine, than: theirs), let peer, peer < name {
                    verification.isBlocked = true
                }
            }
        }
        verifications[id] = verification
        guard verification.waiting <= 0 else { return }
        verifications[id] = nil
        let heard = verification.required == nil || verification.heardRequired
        if !verification.isBlocked && heard && verification.answered * 2 > verification.known {
            verified(id, verification.purpose, peers: peers)
        }
    }

    private mutating func verified(_ id: TaskID, _ purpose: Verification.Purpose, peers: TaskPeers) {
        switch purpose {
        case .recoveredOwner:
            owned[id]?.isVerified = true
            startReady(peers: peers)
        case .takeover:
            guard let record = records[id], record.progress.owner != name, !record.state.isTerminal else { return }
            takeOver(id, peers: peers)
        case .replaceReplica:
            replaceReplica(id, peers: peers)
        case .moveTakeover:
            guard let local = owned[id], local.isTakingOver, !local.storeInFlight, let replica = local.replica,
                  peers.status(of: replica)?.isDown ?? true else { return }
            tryNextReplica(id, peers: peers)
        case .resolveMark:
            guard owned[id] == nil, markedEpoch(id) != nil else { return }
            clearMark(id)
        }
    }
}
