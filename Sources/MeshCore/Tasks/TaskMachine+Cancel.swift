/// Cancel (issue 10 §5), from any node: the owner's side. The entry asks every member that is up
/// (`TaskMachine+CancelEntry`); the owner answers. A queued task is cancelled at once and answered
/// once `cancelled` is synced on the task's copies. A running attempt is stopped first
/// (`stopAgent(.terminate)`: the shell sends SIGTERM to the whole attempt and SIGKILL after the
/// profile's grace): the owner answers `cancelling` at once (with how long the stop may take), the
/// entry asks again, and that request waits for `cancelled`, recorded when the attempt has exited.
/// `cancelled` is a terminal state like the others: stored on the replica before it counts, so a
/// takeover that raised the epoch fences a stale owner's cancel off.
extension TaskMachine {
    /// Why this node stops a run of its own accord.
    enum RunStop: Sendable, Equatable {
        /// An operator cancelled the task.
        case cancel
        /// The attempt ran past the task's timeout.
        case timeout
    }

    /// Who waits for an owner's answer to a cancel: an entry on a stream, or this node's own
    /// cancel request (`cancelRequests[key]`) when it owns the task.
    enum CancelWaiter: Sendable, Equatable {
        case stream(StreamID)
        case local(UInt64)
    }

    /// A task being cancelled on its owner, with who waits for the answer.
    struct Cancelling: Sendable {
        var waiters: [CancelWaiter]
        /// The log position that holds the terminal record, once committed here.
        var committedAt: LogPosition?
    }

    /// The reason a cancelled task's last event carries.
    static let cancelReason = "cancelled by an operator"
    /// Waiters on one task's cancel (more are refused: the first answer tells them all the same).
    /// An entry asks again each time a wait runs into the stream deadline (1 s `local`), at most
    /// 8 times in its `cancelAnswerMax`: room for several entries at once.
    static let cancelWaitersMax = 64

    /// A `cancel` from another member.
    mutating func cancelArrived(_ id: TaskID, stream: StreamID, peers: TaskPeers) {
        guard isOwner(id) else { return respond(.stream(stream), .notOwner(records[id]), id: id) }
        cancelOwned(id, waiter: .stream(stream), peers: peers)
    }

    func isOwner(_ id: TaskID) -> Bool { owned[id] != nil && records[id]?.progress.owner == name }

    /// How long stopping an attempt of `profile` may take: its grace and the margin.
    func stopWithin(_ profile: String) -> Nanoseconds {
        min((settings.cancelGraces[profile] ?? TaskSettings.cancelGraceDefault) &+ settings.cancelStopMargin, TaskSettings.cancelStopMax)
    }

    /// The owner's side: finished → said so; queued → cancelled now; running → stop sent and
    /// `cancelling` answered; already being cancelled → waits for the outcome.
    mutating func cancelOwned(_ id: TaskID, waiter: CancelWaiter, peers: TaskPeers) {
        guard let record = records[id], let local = owned[id] else { return respond(waiter, .notOwner(records[id]), id: id, peers: peers) }
        if accepting[id] != nil { return respond(waiter, .refused("task \(id) is still being stored; cancel it again"), id: id, peers: peers) }
        if var cancelling = cancels[id] {
            guard cancelling.waiters.count < Self.cancelWaitersMax else {
                return respond(waiter, .refused("task \(id) is being cancelled"), id: id, peers: peers)
            }
            cancelling.waiters.append(waiter)
            cancels[id] = cancelling
            return
        }
        if local.finishing != nil {
            // A terminal state (or a takeover) under way counts only once the replica stored it and
            // it is committed here; it may yet be fenced off. The answer waits for that.
            cancels[id] = Cancelling(waiters: [waiter])
            return
        }
        if record.state.isTerminal { return respond(waiter, .finished(record), id: id, peers: peers) }
        if isLeaving {
            return respond(waiter, .refused("\(name) is leaving and hands task \(id) over; cancel it again"), id: id, peers: peers)
        }
        if let run = local.run, runs[run] != nil {
            cancels[id] = Cancelling(waiters: [])
            runs[run]!.stop = .cancel
            emit(.stopAgent(run, .terminate))
            return respond(waiter, .cancelling(record, stopWithin: stopWithin(record.spec.profile)), id: id, peers: peers)
        }
        cancels[id] = Cancelling(waiters: [waiter])
        applyCancel(id, peers: peers)
    }

    /// Records `cancelled` (with what the stopped attempt left) and stores it like every terminal
    /// state: on the replica first, then here.
    mutating func applyCancel(_ id: TaskID, outputs: AgentOutputs = AgentOutputs(), peers: TaskPeers) {
        guard var record = records[id], owned[id] != nil, !record.state.isTerminal else { return }
        for profile in ready.keys.sorted() { ready[profile]?.removeAll { $0 == id } }
        guard case .applied = record.apply(.cancel(reason: Self.cancelReason), by: name, at: at) else { return }
        record.attach(outputs)
        owned[id]?.retryAt = nil
        finish(id, record, peers: peers)
    }

    /// Cancels whose attempt was lost meanwhile (a lease not renewed) are recorded now.
    mutating func progressCancels(peers: TaskPeers) {
        for id in cancels.keys.sorted() {
            guard let local = owned[id], local.run == nil, local.finishing == nil, records[id]?.state.isTerminal == false else { continue }
            applyCancel(id, peers: peers)
        }
    }

    /// Answers the waiters of every cancel that ended: committed and synced here (after the
    /// replica stored it), or dropped (a takeover fenced this owner off, a handover).
    mutating func settleCancels() {
        for id in cancels.keys.sorted() {
            guard let cancelling = cancels[id] else { continue }
            guard owned[id] != nil, let record = records[id] else {
                cancels[id] = nil
                for waiter in cancelling.waiters {
                    respond(waiter, .refused("task \(id) moved to another owner before it was cancelled; cancel it again"), id: id)
                }
                continue
            }
            guard owned[id]!.finishing == nil, record.state.isTerminal else { continue }
            let position = cancelling.committedAt ?? appended
            cancels[id]!.committedAt = position
            guard synced >= position else { continue }
            cancels[id] = nil
            let answer: TaskCancelAnswer = record.state == .cancelled ? .cancelled(record) : .finished(record)
            for waiter in cancelling.waiters { respond(waiter, answer, id: id) }
        }
    }

    /// Answers one waiter: on its stream, or straight to this node's own cancel request (which a
    /// refusal ends: this node is the owner, nobody else would answer otherwise).
    mutating func respond(_ waiter: CancelWaiter, _ answer: TaskCancelAnswer, id: TaskID, peers: TaskPeers? = nil) {
        switch (waiter, answer) {
        case (.stream(let stream), _):
            emit(.answer(stream, TaskMessage.cancelAnswer(answer).encoded()))
        case (.local(let key), .refused(let why)):
            guard let pending = cancelRequests.removeValue(forKey: key) else { return }
            emit(.reply(pending.request, .refused(why)))
        case (.local(let key), _):
            cancelAnswered(key, .cancelAnswer(answer), peers: peers)
        }
    }
}
