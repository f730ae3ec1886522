/// Copies: the owner keeps its replica's copy up to date with `store` (the whole record, one in
/// flight per task); the replica appends, syncs, and only then answers `stored`; a copy with a
/// higher epoch (or already terminal) answers `fenced` with itself.
extension TaskMachine {
    /// Sends the task's newest record (or its finishing one) to the replica unless one is in flight
    /// or the replica holds it already.
    mutating func replicate(_ id: TaskID, peers: TaskPeers, handover: Bool = false) {
        guard var local = owned[id], let replica = local.replica, !local.storeInFlight, let current = records[id],
              local.isVerified || handover, (local.finishingBox?.durableAt ?? 0) <= synced else { return }
        let record = local.finishing ?? current
        guard handover || local.confirmedEvents != record.history.count else { return }
        let exchange = Exchange.store(id, replica: replica, eventCount: record.history.count, handover: handover)
        guard openExchange(exchange, to: replica, in: peers, payload: .store(record, handover: handover)) else { return }
        local.storeInFlight = true
        owned[id] = local
    }

    /// The replica's answer to a `store` (nil: the exchange failed).
    mutating func storeAnswered(_ id: TaskID, replica: String, eventCount: Int, handover: Bool,
                                _ message: TaskMessage?, requestSent: Bool = true, peers: TaskPeers) {
        guard var local = owned[id] else { return }
        local.storeInFlight = false
        owned[id] = local
        // An answer from a replica this task no longer uses changes nothing else.
        guard local.replica == replica else { return replicate(id, peers: peers) }
        switch message {
        case .storeAnswer(.stored)?:
            local.confirmedEvents = eventCount
            owned[id] = local
            if handover { return handedOver(id) }
            if let finishing = local.finishing, finishing.history.count == eventCount { finishCommitted(id, finishing, peers: peers) }
            acceptanceProgressed(id, peers: peers)
            replicate(id, peers: peers)
            startReady(peers: peers)
        case .storeAnswer(.fenced(let theirs))?:
            fencedOff(id, by: theirs, peers: peers)
        case nil where !requestSent && !local.replicaMayHoldCopy, .storeAnswer(.declined)? where !local.replicaMayHoldCopy:
            // A plain refusal, or no connection (the request never left): that replica holds no
            // copy, so a new task (or a takeover) may try the next one.
            if accepting[id] != nil || local.isTakingOver { tryNextReplica(id, peers: peers) }
        case .storeAnswer(.declined)?, nil, .some:
            // No answer: the replica may have stored it. The store is retried there on the next
            // tick (it is idempotent); moving on would leave two copies that could be taken over.
            owned[id]?.replicaMayHoldCopy = true
        }
    }

    /// A new task's replica failed: the next candidate, or give up after `replicaTriesMax`.
    mutating func tryNextReplica(_ id: TaskID, peers: TaskPeers) {
        guard var local = owned[id], let record = records[id] else { return }
        let candidates = peers.replicaCandidates(key: record.spec.placementKey(id: id), count: settings.replicaTriesMax)
        guard local.triedReplicas.count < settings.replicaTriesMax,
              let next = candidates.first(where: { !local.triedReplicas.contains($0) }) else {
            if local.isTakingOver { owned[id] = nil; return }   // no replica: tried again later
            return acceptanceFailed(id, why: "tried \(local.triedReplicas.joined(separator: ", "))", peers: peers)
        }
        local.triedReplicas.append(next)
        local.confirmedEvents = -1
        local.replicaMayHoldCopy = false
        owned[id] = local
        setReplica(id, next)
        replicate(id, peers: peers)
    }

    /// The replica holds a newer copy: it took over (a higher epoch) or the task is terminal there.
    mutating func fencedOff(_ id: TaskID, by theirs: TaskRecord, peers: TaskPeers) {
        guard let mine = records[id] else { return }
        stats.fenced &+= 1
        if let finishing = owned[id]?.finishing, finishing.state.isTerminal {
            // This node's pending finish is given up (the log says so: a restart resumes nothing).
            append(TaskFinishingEntry(givingUp: id, progress: finishing.progress).logRecord)
        }
        if let finishing = owned[id]?.finishing, finishing.state.isTerminal, theirs.progress.ownerEpoch > mine.progress.ownerEpoch {
            // The result this node holds comes from an attempt a takeover fenced off.
            var stale = theirs
            if case .stale = stale.apply(.finish(finishing.progress.fence, outcome(of: finishing)), by: name, at: at) {
                stats.staleResults &+= 1
            }
        }
        stopRun(of: id)
        if theirs.progress.ownerEpoch == mine.progress.ownerEpoch && theirs.progress.owner == name {
            // Same epoch, still ours: the replica finished it before this node crashed. Adopt it.
            owned[id]?.finishing = nil
            owned[id]?.confirmedEvents = theirs.history.count
            commitLocally(theirs)
            return
        }
        keepPassive(theirs)
    }

    /// Keeps `record`, the newer copy that fenced this node's off, as a copy this node neither
    /// owns nor takes over (persisted): a stale owner that later stores an older epoch here is
    /// answered `fenced` instead of finding a node with no copy, and a query finds it.
    mutating func keepPassive(_ record: TaskRecord) {
        let id = record.id
        owned[id] = nil
        accepting[id] = nil
        liveCopies.remove(id)
        recoveredCopies.remove(id)
        verifications[id] = nil
        for profile in ready.keys.sorted() { ready[profile]?.removeAll { $0 == id } }
        commitLocally(record)
        appendRole(id, .passive)
    }

    /// Records the owner's choice of replica for `id` (in the log too, for a restart).
    mutating func setReplica(_ id: TaskID, _ replica: String?) {
        guard owned[id] != nil else { return }
        if let old = owned[id]!.replica, old != replica, !owned[id]!.formerReplicas.contains(old),
           owned[id]!.formerReplicas.count < Self.formerReplicasMax {
            owned[id]!.formerReplicas.append(old)
        }
        owned[id]!.replica = replica
        if let replica { appendRole(id, .replica(replica)) }
    }

    /// Forgets a task this node no longer owns or keeps (persisted, so recovery forgets it too).
    mutating func drop(_ id: TaskID) {
        records[id] = nil
        liveCopies.remove(id)
        recoveredCopies.remove(id)
        owned[id] = nil
        accepting[id] = nil
        for profile in ready.keys.sorted() { ready[profile]?.removeAll { $0 == id } }
        appendRole(id, .dropped)
    }

    /// The outcome a finishing record's last event stands for.
    func outcome(of record: TaskRecord) -> TaskOutcome {
        switch record.state {
        case .succeeded: .succeeded
        case .timedOut: .timedOut
        default: .failed(record.history.last?.reason ?? "failed")
        }
    }

    /// Replaces the held record with `record`, appending what the log needs to replay to it.
    mutating func commitLocally(_ record: TaskRecord) {
        let old = records[record.id]
        records[record.id] = record
        owned.touch(record.id)
        if old == nil && TaskLogEntry.fitsOneCreated(record) { return append(TaskLogEntry.created(record).logRecord) }
        guard let old, old.history.count <= record.history.count,
              old.history.elementsEqual(record.history.prefix(old.history.count)) else {
            for entry in TaskLogEntry.entries(rebuilding: record) { append(entry.logRecord) }
            return
        }
        let added = record.history.dropFirst(old.history.count)
        for event in added { append(TaskLogEntry.progressed(record.id, record.progress, event).logRecord) }
        if added.isEmpty && old.progress != record.progress {
            append(TaskLogEntry.progressed(record.id, record.progress, nil).logRecord)
        }
    }

    /// An inbound `store`: keep the copy if it is not older than ours; answer after the sync.
    mutating func storeArrived(_ record: TaskRecord, handover: Bool, from owner: String, stream: StreamID, peers: TaskPeers) {
        // A copy naming this node, from another holder: pushed back (`TaskMachine+Adopt`).
        if record.progress.owner == name && owner != name && !handover { return adoptArrived(record, from: owner, stream: stream, peers: peers) }
        if let mine = records[record.id], isNewer(mine, than: record) || endsDifferently(mine, record) {
            return emit(.answer(stream, TaskMessage.storeAnswer(.fenced(mine)).encoded()))
        }
        // This node marked a takeover of a newer epoch that may be held elsewhere: an older
        // epoch's store waits until the mark is settled (then it is stored, or fenced).
        if let epoch = markedEpoch(record.id), record.progress.ownerEpoch < epoch {
            return emit(.answer(stream, TaskMessage.storeAnswer(.declined).encoded()))
        }
        // A takeover under way here was decided (the owner held dead, every check passed): the
        // old owner's store waits (declined, retried) instead of cancelling it; once the new
        // replica holds the next epoch, the old owner is fenced.
        let takingOver = owned[record.id]?.isTakingOver ?? false
        if isDiskFull || (isLeaving && !handover) || record.progress.owner != owner || takingOver {
            return emit(.answer(stream, TaskMessage.storeAnswer(.declined).encoded()))
        }
        let before = appended
        if !liveCopies.contains(record.id) && owned[record.id] == nil { appendRole(record.id, .kept) }
        owned[record.id] = nil
        commitLocally(record)
        liveCopies.insert(record.id)
        noteLife(of: owner, peers: peers)
        grants[owner] = max(grants[owner] ?? .zero, now + settings.leaseDuration)
        var answer = TaskMessage.storeAnswer(.stored(eventCount: UInt32(clamping: record.history.count)))
        if handover { answer = takeOverFromHandover(record.id, peers: peers) ?? answer }
        _ = before
        if synced >= appended { return emit(.answer(stream, answer.encoded())) }
        deferredAnswers.append((appended, stream, answer.encoded()))
    }

    /// True when `mine` is terminal and `theirs` is not that same finish: a store never replaces
    /// a terminal copy with another epoch's record, not even a newer one. A replica holds a terminal
    /// state only once its owner stored it there, which is when that state counts; a takeover that
    /// missed it (its new replica held it, unasked) would run the task again, and another epoch's
    /// terminal state would be a second finish.
    func endsDifferently(_ mine: TaskRecord, _ theirs: TaskRecord) -> Bool {
        mine.state.isTerminal && (!theirs.state.isTerminal || theirs.progress.ownerEpoch != mine.progress.ownerEpoch)
    }

    /// True when `mine` must win over `theirs`: a higher epoch, or terminal while theirs is not,
    /// or the same epoch with more events.
    func isNewer(_ mine: TaskRecord, than theirs: TaskRecord) -> Bool {
        if mine.progress.ownerEpoch != theirs.progress.ownerEpoch { return mine.progress.ownerEpoch > theirs.progress.ownerEpoch }
        if mine.state.isTerminal != theirs.state.isTerminal { return mine.state.isTerminal }
        return mine.state.isTerminal && theirs.state.isTerminal ? false : mine.history.count > theirs.history.count
    }

    /// Rebuilds tasks from the recovered log (whole, or a snapshot and what followed it): records,
    /// then which this node dropped, kept passive, or owns with which replica.
    mutating func recover(_ log: [LogRecord]) {
        var pendingFinishes: [TaskID: TaskFinishingEntry] = [:]
        for record in log {
            if let entry = (try? TaskFinishingEntry(record)) ?? nil {
                pendingFinishes[entry.id] = entry
                continue
            }
            if let mark = (try? TaskTakeoverMark(record)) ?? nil {
                recoverMark(mark)
                continue
            }
            if let entry = TaskRoleEntry(record) {
                loggedRoles.apply(entry)
                if entry.role == .dropped { records[entry.id] = nil; pendingFinishes[entry.id] = nil }
                continue
            }
            guard let entry = try? TaskLogEntry(record) else { continue }
            entry.replay(into: &records)
        }
        for id in takeoverMarks.keys.sorted() where markedEpoch(id) == nil { takeoverMarks[id] = nil }
        for id in records.keys.sorted() where !records[id]!.state.isTerminal {
            if records[id]!.progress.owner == name {
                owned[id] = Owned(replica: loggedRoles.replicas[id], isVerified: false)
                // A finish under way when the node died is resumed, never run again.
                owned[id]!.finishing = pendingFinishes[id]?.resumed(over: records[id]!)
            } else if !loggedRoles.passive.contains(id) {
                recoveredCopies.insert(id)
            }
        }
    }

    /// `logSynced(upTo:)`: answers and acceptances waiting for it.
    mutating func logSynced(upTo position: LogPosition, peers: TaskPeers) {
        synced = max(synced, position)
        isDiskFull = false
        while let first = finishesAwaitingSync.first, first.position <= synced {
            finishesAwaitingSync.removeFirst()
            replicate(first.id, peers: peers)
        }
        while let first = deferredAnswers.first, first.position <= synced {
            deferredAnswers.removeFirst()
            emit(.answer(first.stream, first.bytes))
        }
        for id in accepting.keys.sorted() where accepting[id]!.position <= synced {
            accepting[id]!.isSynced = true
            acceptanceProgressed(id, peers: peers)
        }
    }

    /// `diskFailed`: records since the last sync may be lost. Waiting answers are dropped (their
    /// streams fail; the owner retries), new tasks are refused, and `full` refuses new work until a
    /// sync succeeds again.
    mutating func diskFailed(_ failure: DiskFailure) {
        if failure == .full { isDiskFull = true }
        isCompacting = false   // a compaction in flight failed, or went with the unsynced records
        // A pending finish not yet synced may be lost: written again, it waits for the next sync.
        let unsyncedFinishes = finishesAwaitingSync
        finishesAwaitingSync.removeAll()
        for (_, id) in unsyncedFinishes {
            guard let finishing = owned[id]?.finishing, records[id] != nil else { continue }
            if finishing.state.isTerminal { logPendingFinish(id, finishing) } else { logTakeover(id, finishing) }
        }
        for waiting in deferredAnswers { emit(.answer(waiting.stream, nil)) }
        deferredAnswers.removeAll()
        for id in accepting.keys.sorted() where !accepting[id]!.isSynced {
            let origin = accepting.removeValue(forKey: id)!.origin
            records[id] = nil
            owned[id] = nil
            answer(origin, .refused(failure == .full ? .diskFull : .unavailable("the owner's disk failed")))
        }
    }
}

extension TaskMachine {
    /// Former replicas remembered per task (each gets a `release`); past it the oldest is kept.
    static let formerReplicasMax = 8

    /// Tells one former replica of each task that is up to drop its copy.
    mutating func releaseFormerReplicas(peers: TaskPeers) {
        for id in tickIDs {
            guard let local = owned[id], !local.releaseInFlight, let record = records[id],
                  let former = local.formerReplicas.first(where: { peers.isUp($0) && $0 != local.replica }) else { continue }
            if openExchange(.release(id, replica: former), to: former, in: peers,
                            payload: .release(id, epoch: record.progress.ownerEpoch)) {
                owned[id]!.releaseInFlight = true
            }
        }
    }

    /// A former replica's answer to `release` (nil: failed; tried again on a later tick).
    mutating func releaseAnswered(_ id: TaskID, replica: String, _ message: TaskMessage?) {
        owned[id]?.releaseInFlight = false
        guard case .storeAnswer(.stored)? = message else { return }
        owned[id]?.formerReplicas.removeAll { $0 == replica }
    }

    /// An inbound `release` from the owner: drop the copy unless it is ours or newer.
    mutating func releaseArrived(_ id: TaskID, epoch: UInt64, from owner: String, stream: StreamID) {
        if let mine = records[id], mine.progress.owner != name, mine.progress.ownerEpoch <= epoch {
            verifications[id] = nil
            drop(id)
        }
        let answer = TaskMessage.storeAnswer(.stored(eventCount: 0)).encoded()
        if synced >= appended { return emit(.answer(stream, answer)) }
        deferredAnswers.append((appended, stream, answer))
    }
}
