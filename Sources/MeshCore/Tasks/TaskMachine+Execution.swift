/// Execution on the owner: a free slot runs the first ready task of its profile (FIFO); every run
/// carries its fence (epoch, attempt); a result counts only for the current fence, and a terminal
/// result counts only once the replica stored it.
extension TaskMachine {
    /// An accepted task enters the queue (its `queued` event is in the record already when it
    /// was accepted here) and runs when a slot frees.
    mutating func schedule(_ id: TaskID, peers: TaskPeers) {
        guard var record = records[id], record.state == .accepted || record.state == .queued else { return }
        if record.state == .accepted, case .applied = record.apply(.queue, by: name, at: at) { commitLocally(record) }
        enqueue(id, profile: record.spec.profile)
        replicate(id, peers: peers)
        startReady(peers: peers)
    }

    mutating func enqueue(_ id: TaskID, profile: String) {
        if ready[profile]?.contains(id) == true { return }
        ready[profile, default: []].append(id)
    }

    /// True when this node may start an attempt of `id` now: its replica confirmed the record and
    /// the lease with it is valid (or the node is alone), and nothing is being finished.
    func mayStart(_ id: TaskID) -> Bool {
        guard let local = owned[id], local.isVerified, local.finishing == nil, local.run == nil, !isLeaving,
              cancels[id] == nil else { return false }
        guard let replica = local.replica else { return true }
        guard local.confirmedEvents >= 1 else { return false }
        return (leases[replica] ?? .zero) > now + settings.stopMargin
    }

    /// Starts ready tasks while their profile has free slots, in FIFO order per profile.
    mutating func startReady(peers: TaskPeers) {
        for profile in ready.keys.sorted() {
            let slotCount = slots[profile] ?? 0
            var index = 0
            while busy[profile, default: 0] < slotCount, let queue = ready[profile], index < queue.count {
                let id = queue[index]
                guard records[id] != nil, owned[id] != nil else { ready[profile]!.remove(at: index); continue }
                guard mayStart(id) else { index += 1; continue }
                ready[profile]!.remove(at: index)
                start(id, peers: peers)
            }
        }
    }

    private mutating func start(_ id: TaskID, peers: TaskPeers) {
        guard var record = records[id] else { return }
        // A task recovered or taken over before it was queued is queued on its way to running.
        if record.state == .accepted { _ = record.apply(.queue, by: name, at: at) }
        guard case .applied = record.apply(.start, by: name, at: at) else { return }
        commitLocally(record)
        nextRun &+= 1
        let run = RunID(nextRun)
        runs[run] = Run(task: id, fence: record.progress.fence, profile: record.spec.profile,
                        deadline: now + record.spec.timeout)
        owned[id]?.run = run
        busy[record.spec.profile, default: 0] &+= 1
        stats.attemptsStarted &+= 1
        emit(.startAgent(AgentRun(run: run, profile: record.spec.profile, task: id.description, attempt: record.progress.attempt,
                                  prompt: record.spec.prompt, timeout: record.spec.timeout, expect: record.spec.expect)))
        replicate(id, peers: peers)
    }

    /// An agent run ended. An unknown run, or one whose fence is no longer current, is stale. A
    /// run this node stopped ends as it was stopped for (cancelled, timed out); the artifacts go
    /// on the event that ends the attempt.
    mutating func agentExited(_ run: RunID, _ exit: AgentExit, _ outputs: AgentOutputs = AgentOutputs(), peers: TaskPeers) {
        guard let info = runs.removeValue(forKey: run) else { stats.staleResults &+= 1; return }
        busy[info.profile, default: 1] -= 1
        if owned[info.task]?.run == run { owned[info.task]?.run = nil }
        guard var record = records[info.task], owned[info.task] != nil else {
            stats.staleResults &+= 1
            return startReady(peers: peers)
        }
        if info.stop == .cancel {
            applyCancel(info.task, outputs: outputs, peers: peers)
            return startReady(peers: peers)
        }
        let result = outcome(of: exit, outputs, stop: info.stop, spec: record.spec)
        switch record.apply(.finish(info.fence, result), by: name, at: at) {
        case .stale:
            stats.staleResults &+= 1
            commitLocally(record)
        case .applied where record.state.isTerminal:
            record.attach(outputs)
            finish(info.task, record, peers: peers)
        case .applied:
            record.attach(outputs)
            commitLocally(record)
            let retryAt = now + backoff(failures: record.progress.failures)
            owned[info.task]?.retryAt = retryAt
            replicate(info.task, peers: peers)
        case .duplicate, .refused:
            break
        }
        startReady(peers: peers)
    }

    /// A terminal record: synced here as a pending finish, then stored on the replica, then
    /// committed here (alone: at once). A restart between the replica's `stored` and the commit
    /// resumes the pending finish (`TaskFinishingEntry`).
    mutating func finish(_ id: TaskID, _ record: TaskRecord, peers: TaskPeers) {
        guard owned[id]?.replica != nil else { return finishCommitted(id, record, peers: peers) }
        logPendingFinish(id, record)
        replicate(id, peers: peers)
    }

    /// Appends `record` as `id`'s pending finish; it is stored on the replica once synced.
    mutating func logPendingFinish(_ id: TaskID, _ record: TaskRecord) {
        append(TaskFinishingEntry(finishing: record, over: records[id]).logRecord)
        owned[id]?.finishingBox = FinishingRecord(record, durableAt: appended)
        finishesAwaitingSync.append((appended, id))
    }

    /// The replica holds the terminal record or the takeover (or there is none): it counts now.
    mutating func finishCommitted(_ id: TaskID, _ record: TaskRecord, peers: TaskPeers) {
        owned[id]?.finishing = nil
        commitLocally(record)
        guard !record.state.isTerminal else { return }
        stats.takeovers &+= 1
        // A takeover re-runs at once (`retryAt` is now): a lost attempt does not wait for a tick.
        if record.state == .queued || record.state == .accepted || record.state == .retrying {
            enqueue(id, profile: record.spec.profile)
        }
        if let replica = owned[id]?.replica { renew(with: replica, peers: peers) }   // lease the new replica now
    }

    func backoff(failures: UInt32) -> Nanoseconds {
        let shift = min(max(Int(failures) - 1, 0), 16)
        return min(settings.retryBackoff * Nanoseconds(1 << shift), settings.retryBackoffMax)
    }

    /// Retrying tasks whose backoff is over become ready.
    mutating func releaseRetries() {
        for id in tickIDs {
            guard let local = owned[id], let record = records[id], record.state == .retrying, local.run == nil,
                  local.finishing == nil, (local.retryAt ?? .zero) <= now else { continue }
            enqueue(id, profile: record.spec.profile)
        }
    }

    /// Kills the run of `id`, if any; its exit will be stale.
    mutating func stopRun(of id: TaskID) {
        guard let run = owned[id]?.run, let info = runs.removeValue(forKey: run) else { return }
        owned[id]?.run = nil
        busy[info.profile, default: 1] -= 1
        emit(.stopAgent(run, .kill))
    }

    /// The owner lost its lease (or is leaving): the attempt stops and is recorded lost, so it
    /// re-runs at once once the lease is back, without using up a failure attempt.
    mutating func abandonRun(of id: TaskID, reason: String, peers: TaskPeers) {
        guard owned[id]?.run != nil else { return }
        stopRun(of: id)
        stats.attemptsLost &+= 1
        guard var record = records[id], case .applied = record.apply(.lose(reason: reason), by: name, at: at) else { return }
        if record.state.isTerminal { return finish(id, record, peers: peers) }
        commitLocally(record)
        owned[id]?.retryAt = now
        replicate(id, peers: peers)
    }
}
