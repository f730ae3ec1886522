/// Leases and takeover (fencing without a central lock). Every tick (`leaseRenewInterval`) the
/// owner renews with each replica of its tasks, stops attempts whose lease is about to end, and
/// replaces dead replicas; the replica takes over the tasks of a dead owner whose lease ended.
///
/// Takeover needs: the owner dead or left in membership (suspect is not enough), the lease this
/// node granted it over by `takeoverMargin`, (unless the owner left) a majority of known members
/// up here, and a verification: every member that is up answered, none holds a newer copy and
/// none with a smaller name holds an equal one (so of two nodes holding copies, one acts). Replacing a dead replica needs the same majority. A node that
/// restarted with a non-empty log grants nothing and takes nothing over for `leaseDuration +
/// takeoverMargin` (it may have granted a lease just before it died).
extension TaskMachine {
    /// Starts the tick.
    mutating func start(peers: TaskPeers) {
        if isRestart { quietUntil = now + settings.leaseDuration + settings.takeoverMargin }
        copyPushes = recoveredCopies   // their owners may have lost them while this node was down
        for id in owned.ids { recovered(id, peers: peers) }
    }

    /// A recovered owned task: it goes back to the replica it had (which fences it off if it took
    /// over), and runs only once verified and confirmed.
    mutating func recovered(_ id: TaskID, peers: TaskPeers) {
        guard let record = records[id] else { return }
        if record.state == .running {
            owned[id]?.retryAt = now   // its run died with the previous life: lost, re-run at once
        } else if record.state == .queued || record.state == .accepted {
            enqueue(id, profile: record.spec.profile)
        }
    }

    mutating func tick(peers: TaskPeers) {
        isTickArmed = false
        renewLeases(peers: peers)
        stopUnleasedRuns(peers: peers)
        loseRecoveredRuns(peers: peers)
        replaceDeadReplicas(peers: peers)
        demoteLapsedCopies(peers: peers)
        abandonStalledTakeovers(peers: peers)
        takeOverDeadOwners(peers: peers)
        resolveMarks(peers: peers)
        noteMemberLives(peers: peers)
        pushCopies(peers: peers)
        releaseRetries()
        verifyRecovered(peers: peers)
        releaseFormerReplicas(peers: peers)
        for id in tickIDs { replicate(id, peers: peers) }
        expireDeadlines(peers: peers)
        controlTick(peers: peers)
        startReady(peers: peers)
        settleOwned()
    }

    /// One renew per replica of this node's unfinished tasks, unless one is in flight.
    mutating func renewLeases(peers: TaskPeers) {
        for replica in owned.replicaUse.keys.sorted() { renew(with: replica, peers: peers) }
    }

    /// Sends a renew to `replica` unless one is in flight.
    mutating func renew(with replica: String, peers: TaskPeers) {
        guard !renewsInFlight.contains(replica) else { return }
        if openExchange(.renew(replica: replica, sentAt: now), to: replica, in: peers, payload: .renew) {
            renewsInFlight.insert(replica)
        }
    }

    mutating func renewAnswered(replica: String, sentAt: Instant, _ message: TaskMessage?, peers: TaskPeers) {
        renewsInFlight.remove(replica)
        guard case .granted(let duration)? = message, duration > 0 else { return }
        leases[replica] = max(leases[replica] ?? .zero, sentAt + min(duration, settings.leaseDuration))
        startReady(peers: peers)
    }

    /// The replica side of `renew`.
    mutating func renewArrived(from owner: String, stream: StreamID) {
        guard now >= quietUntil, !isLeaving else { return emit(.answer(stream, TaskMessage.granted(0).encoded())) }
        grants[owner] = max(grants[owner] ?? .zero, now + settings.leaseDuration)
        emit(.answer(stream, TaskMessage.granted(settings.leaseDuration).encoded()))
    }

    /// Attempts whose lease ends within `stopMargin` stop, recorded lost.
    mutating func stopUnleasedRuns(peers: TaskPeers) {
        for id in owned.runningIDs {
            guard let local = owned[id], local.run != nil, let replica = local.replica else { continue }
            if (leases[replica] ?? .zero) <= now + settings.stopMargin {
                abandonRun(of: id, reason: "lease with \(replica) not renewed", peers: peers)
            }
        }
    }

    /// Recovered tasks that were running when the node died: the attempt is lost.
    mutating func loseRecoveredRuns(peers: TaskPeers) {
        for id in tickIDs {
            guard let local = owned[id], local.run == nil, local.finishing == nil, var record = records[id],
                  record.state == .running, local.isVerified, mayStart(id) || local.replica == nil else { continue }
            guard case .applied = record.apply(.lose(reason: "\(name) restarted"), by: name, at: at) else { continue }
            stats.attemptsLost &+= 1
            if record.state.isTerminal { finish(id, record, peers: peers); continue }
            commitLocally(record)
            owned[id]?.retryAt = now
            replicate(id, peers: peers)
        }
    }

    /// Owned tasks whose replica is dead or left (or that have none while others are up) get a
    /// new replica once a verification with a majority passed; the new replica must confirm the
    /// record before attempts start again.
    mutating func replaceDeadReplicas(peers: TaskPeers) {
        guard peers.hasJoined else { return }
        for id in replicaCheckIDs(peers: peers) where verifications[id] == nil {
            guard let local = owned[id], accepting[id] == nil, records[id] != nil, !local.storeInFlight,
                  !local.isTakingOver, local.isVerified else { continue }
            // Only a replica membership knows is gone is replaced (an unknown one may be a member a
            // restarted node has not heard of again yet).
            if let replica = local.replica, !(peers.status(of: replica)?.isDown ?? false) { continue }
            if local.replica == nil && peers.aliveNames.isEmpty { continue }
            verify(id, purpose: .replaceReplica, peers: peers)
        }
    }

    mutating func replaceReplica(_ id: TaskID, peers: TaskPeers) {
        guard let local = owned[id], let record = records[id] else { return }
        if let replica = local.replica, !(peers.status(of: replica)?.isDown ?? false) { return }
        guard let next = peers.replicaCandidates(key: record.spec.placementKey(id: id), count: 1).first else { return }
        if let old = local.replica { leases[next] = max(leases[next] ?? .zero, leases[old] ?? .zero) }
        setReplica(id, next)
        owned[id]?.confirmedEvents = -1
        stats.replicasReplaced &+= 1
        if record.progress.copies != 2 {
            var updated = record
            _ = updated.apply(.setCopies(2), by: name, at: at)
            commitLocally(updated)
        }
    }

    /// Replica copies whose owner is dead or left, with the lease granted to it over: taken over.
    /// A copy recovered from the log counts too once the quiet period after the restart is over
    /// (`leaseDuration + takeoverMargin`: any lease this node granted before it died has ended),
    /// under `mayTakeOverRecovered`.
    mutating func takeOverDeadOwners(peers: TaskPeers) {
        guard now >= quietUntil, !isLeaving, peers.hasJoined else { return }
        // No owner can be gone while every member is up (`isGone`): then no copy is looked at.
        guard isRestart || peers.hasDownMember else { return }
        var wake: Instant?
        var copies = liveCopies
        if Self.takesOverRecoveredCopies { copies.formUnion(recoveredCopies) }
        for id in copies.sorted() where verifications[id] == nil && owned[id] == nil && records[id] != nil {
            let record = records[id]!
            let owner = record.progress.owner
            guard owner != name, !record.state.isTerminal, isGone(owner, peers: peers) else { continue }
            if !liveCopies.contains(id) && !mayTakeOverRecovered(owner: owner, peers: peers) { continue }
            let lapse = (grants[owner] ?? .zero) + settings.takeoverMargin
            guard lapse <= now else { wake = min(wake ?? lapse, lapse); continue }
            verify(id, purpose: .takeover, peers: peers)
        }
        // The owner is dead and only the lease it was granted holds the takeover back: the check
        // runs again the moment it lapses, not at the next tick.
        if let wake { tickEarly(at: wake) }
    }

    /// Moves the next tick to `instant` when that is sooner than the tick armed.
    mutating func tickEarly(at instant: Instant) {
        guard instant < (isTickArmed ? nextTickAt : now + settings.leaseRenewInterval) else { return }
        isTickArmed = true
        nextTickAt = instant
        emit(.setTimer(.tick, at: instant))
    }

    /// A member went down in membership (dead or left): a replica of its tasks need not wait for
    /// the next tick to take them over, nor an owner whose replica it was to replace it.
    mutating func memberWentDown(peers: TaskPeers) {
        replaceDeadReplicas(peers: peers)
        takeOverDeadOwners(peers: peers)
    }

    /// Whether copies recovered from the log are taken over (under `mayTakeOverRecovered`).
    static let takesOverRecoveredCopies = true

    /// A copy recovered from the log may be out of date: while this node was down its owner may
    /// have moved the task to another replica, which may have taken it over or finished it. So
    /// it is taken over only with a full view of the mesh: this node merged another member's
    /// whole state in this life (a partial view, e.g. a node without seeds that a few members
    /// happened to contact, may not know the member holding the newer copy), and that view holds
    /// the owner dead or left (not merely unknown). The verification then asks every member
    /// known, dead ones too, and needs each but the owner to answer with no newer copy.
    func mayTakeOverRecovered(owner: String, peers: TaskPeers) -> Bool {
        peers.hasFullView && (peers.status(of: owner)?.isDown ?? false)
    }

    /// True when membership holds `owner` dead or left; or, for a node that restarted, when the
    /// mesh it joined again still does not know `owner` `unknownOwnerWait` after the quiet period
    /// (an owner that is up is heard of by then; one dead before this node came back never is)
    /// and `owner` has not contacted this node in this life.
    func isGone(_ owner: String, peers: TaskPeers) -> Bool {
        if let status = peers.status(of: owner) { return status.isDown }
        return isRestart && grants[owner] == nil && now >= quietUntil + TaskSettings.unknownOwnerWait
    }

    /// This node becomes the owner of `id` with the next epoch; a running attempt is lost and re-runs.
    /// Like a terminal state, the takeover counts only once the new replica stored it: until then
    /// this node holds it in memory only (`finishing`) and keeps the old copy in its log, so a
    /// crash in between leaves no single-copy epoch that the old owner never heard of. Its mark
    /// (`TaskTakeoverMark`) is synced before the store leaves: after such a crash this node still
    /// refuses the old owner's older epoch until the mark is settled.
    mutating func takeOver(_ id: TaskID, peers: TaskPeers) {
        guard var record = records[id] else { return }
        // Past any takeover this node marked (one it lost in a crash may be held elsewhere).
        let epoch = max(record.progress.ownerEpoch, takeoverMarks[id] ?? 0) &+ 1
        guard case .applied = record.apply(.takeOver(owner: name, epoch: epoch), by: name, at: at) else { return }
        let replica = peers.replicaCandidates(key: record.spec.placementKey(id: id), count: 1).first
        _ = record.apply(.setCopies(replica == nil ? 1 : 2), by: name, at: at)
        owned[id] = Owned(triedReplicas: replica.map { [$0] } ?? [], retryAt: now)
        setReplica(id, replica)
        if record.state.isTerminal || replica == nil { return finishCommitted(id, record, peers: peers) }
        logTakeover(id, record)
        replicate(id, peers: peers)
    }

    /// A takeover whose new replica is gone: given up when that replica cannot hold it (this node
    /// is a replica copy holder again and tries again later, with a fresh candidate). When it may
    /// hold it (a `store` went unanswered before it died), waiting for it would leave the task
    /// undone for as long as it stays dead; the takeover moves on to the next candidate with the
    /// same record once a verification with every other member found no newer copy (that replica
    /// may be cut off, not dead, and have taken this takeover over in turn). It becomes a former
    /// replica, told to drop its copy once it is back.
    mutating func abandonStalledTakeovers(peers: TaskPeers) {
        for id in tickIDs {
            guard let local = owned[id], local.isTakingOver, !local.storeInFlight,
                  let replica = local.replica, peers.status(of: replica)?.isDown ?? true else { continue }
            if !local.replicaMayHoldCopy {
                owned[id] = nil
            } else if verifications[id] == nil {
                verify(id, purpose: .moveTakeover, peers: peers)
            }
        }
    }

    /// A handover from a leaving owner: take over at once. Returns the answer to send.
    mutating func takeOverFromHandover(_ id: TaskID, peers: TaskPeers) -> TaskMessage? {
        guard let record = records[id], !record.state.isTerminal else { return nil }
        stats.handovers &+= 1
        takeOver(id, peers: peers)
        return nil
    }

    /// This node leaves: no new work, owned tasks handed to their replicas, attempts stopped.
    mutating func leave(peers: TaskPeers) {
        isLeaving = true
        for id in owned.ids {
            stopRun(of: id)
            guard records[id].map({ !$0.state.isTerminal }) == true else { continue }
            owned[id]?.storeInFlight = false
            replicate(id, peers: peers, handover: true)
        }
    }

    /// The handover of `id` was stored: the replica owns it now.
    mutating func handedOver(_ id: TaskID) { drop(id) }

    /// Requests past their deadline are answered.
    mutating func expireDeadlines(peers: TaskPeers) {
        for id in accepting.keys.sorted() where accepting[id]!.deadline <= now {
            acceptanceFailed(id, why: "no copy confirmed within the request deadline", peers: peers)
        }
        for key in queries.keys.sorted() where queries[key]!.deadline <= now { finishQuery(key) }
    }
}
