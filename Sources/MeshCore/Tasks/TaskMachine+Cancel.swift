/// Cancel (issue 10 §5), from any node. The entry asks every member that is up (this node's own
/// copy counts); the owner cancels and answers once `cancelled` is synced on the task's copies,
/// every other member answers at once with the copy it holds. A queued task is cancelled at once;
/// a running attempt is stopped first (`stopAgent(.terminate)`: the shell sends SIGTERM to the
/// whole attempt and SIGKILL after the profile's grace) and `cancelled` is recorded when it has
/// exited. `cancelled` is a terminal state like the others: stored on the replica before it counts,
/// so a takeover that raised the epoch fences a stale owner's cancel off.
extension TaskMachine {
    /// Why this node stops a run of its own accord.
    enum RunStop: Sendable, Equatable {
        /// An operator cancelled the task.
        case cancel
        /// The attempt ran past the task's timeout.
        case timeout
    }

    /// A task being cancelled on its owner, with who waits for the answer.
    struct Cancelling: Sendable {
        var waiters: [Origin]
        /// The log position that holds the terminal record, once committed here.
        var committedAt: LogPosition?
    }

    /// An entry's cancel request waiting for the members' answers.
    struct CancelRequest: Sendable {
        var request: RequestID
        var id: TaskID
        var waiting = 0
        var asked = 1
        var answered = 1
        /// Copies heard of (this node's own included): which is newest decides a late answer.
        var copies: [TaskRecord] = []
        var refusal: String?
        var deadline: Instant
        /// True once the owner was asked again (its first answer may have missed the stream's
        /// deadline while it stopped the attempt): a `cancelled` record it then reports is this
        /// request's own outcome, not a task that had already finished.
        var isRetry = false
        /// True while waiting for the next tick to ask the owner again.
        var retryDue = false
    }

    /// The reason a cancelled task's last event carries.
    static let cancelReason = "cancelled by an operator"
    /// Waiters on one task's cancel (more are refused: the first answer tells them all the same).
    static let cancelWaitersMax = 16

    /// A control request `cancelTask(id)`: this node is the entry node.
    mutating func cancel(_ id: TaskID, request: RequestID, peers: TaskPeers) {
        if isOwner(id) { return cancelOwned(id, origin: .control(request), peers: peers) }
        nextExchange &+= 1
        let key = nextExchange
        let targets = Array(peers.aliveNames.prefix(settings.queryMembersMax))
        var pending = CancelRequest(request: request, id: id, asked: 1 + targets.count, deadline: now + settings.requestDeadline)
        if let mine = records[id] { pending.copies.append(mine) }
        cancelRequests[key] = pending
        for peer in targets where openExchange(.cancel(key), to: peer, in: peers, payload: .cancel(id)) {
            cancelRequests[key]!.waiting += 1
        }
        if cancelRequests[key]!.waiting == 0 { finishCancelRequest(key) }
    }

    /// A `cancel` from another member.
    mutating func cancelArrived(_ id: TaskID, stream: StreamID, peers: TaskPeers) {
        guard isOwner(id) else { return respond(.stream(stream), .notOwner(records[id]), id: id) }
        cancelOwned(id, origin: .stream(stream), peers: peers)
    }

    func isOwner(_ id: TaskID) -> Bool { owned[id] != nil && records[id]?.progress.owner == name }

    /// The owner's side: finished → said so; queued → cancelled now; running → stopped first.
    mutating func cancelOwned(_ id: TaskID, origin: Origin, peers: TaskPeers) {
        guard let record = records[id], let local = owned[id] else { return respond(origin, .notOwner(records[id]), id: id) }
        if accepting[id] != nil { return respond(origin, .refused("task \(id) is still being stored; cancel it again"), id: id) }
        if var cancelling = cancels[id] {
            guard cancelling.waiters.count < Self.cancelWaitersMax else { return respond(origin, .refused("task \(id) is being cancelled"), id: id) }
            cancelling.waiters.append(origin)
            cancels[id] = cancelling
            return
        }
        if let finishing = local.finishing { return respond(origin, .finished(finishing), id: id) }
        if record.state.isTerminal { return respond(origin, .finished(record), id: id) }
        if isLeaving { return respond(origin, .refused("\(name) is leaving and hands task \(id) over; cancel it again"), id: id) }
        cancels[id] = Cancelling(waiters: [origin])
        if let run = local.run, runs[run] != nil {
            runs[run]!.stop = .cancel
            return emit(.stopAgent(run, .terminate))
        }
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
                for origin in cancelling.waiters {
                    respond(origin, .refused("task \(id) moved to another owner before it was cancelled; cancel it again"), id: id)
                }
                continue
            }
            guard owned[id]!.finishing == nil, record.state.isTerminal else { continue }
            let position = cancelling.committedAt ?? appended
            cancels[id]!.committedAt = position
            guard synced >= position else { continue }
            cancels[id] = nil
            let answer: TaskCancelAnswer = record.state == .cancelled ? .cancelled(record) : .finished(record)
            for origin in cancelling.waiters { respond(origin, answer, id: id) }
        }
    }

    /// A member's answer to an entry's `cancel` (nil: it failed).
    mutating func cancelAnswered(_ key: UInt64, _ message: TaskMessage?) {
        guard var pending = cancelRequests[key] else { return }
        pending.waiting -= 1
        switch message {
        case .cancelAnswer(.cancelled(let record))?:
            cancelRequests[key] = nil
            return emit(.reply(pending.request, .taskCancelled(record)))
        case .cancelAnswer(.finished(let record))?:
            cancelRequests[key] = nil
            let isOwnOutcome = pending.isRetry && record.state == .cancelled
            return emit(.reply(pending.request, isOwnOutcome ? .taskCancelled(record) : .taskFinished(record)))
        case .cancelAnswer(.notOwner(let copy))?:
            pending.answered += 1
            if let copy, copy.id == pending.id { pending.copies.append(copy) }
        case .cancelAnswer(.refused(let why))?:
            pending.answered += 1
            pending.refusal = why
        default:
            break
        }
        cancelRequests[key] = pending
        if pending.waiting <= 0 { finishCancelRequest(key) }
    }

    /// No owner answered: not found, already finished (by the newest copy), or — when the newest
    /// copy is unfinished — asked again on the next tick until the request's deadline (`isFinal`),
    /// then not reachable now.
    mutating func finishCancelRequest(_ key: UInt64, isFinal: Bool = false) {
        guard let pending = cancelRequests[key], pending.waiting <= 0 || isFinal else { return }
        var newest: TaskRecord?
        for copy in pending.copies where newest.map({ isNewer(copy, than: $0) }) ?? true { newest = copy }
        if let newest, !newest.state.isTerminal, !isFinal, now < pending.deadline {
            cancelRequests[key]!.retryDue = true
            return
        }
        cancelRequests[key] = nil
        guard let newest else {
            return emit(.reply(pending.request, .taskNotFound(pending.id, membersAsked: pending.asked, membersAnswered: pending.answered)))
        }
        if newest.state.isTerminal { return emit(.reply(pending.request, .taskFinished(newest))) }
        let why = pending.refusal
            ?? "the owner of task \(pending.id) (\(newest.progress.owner)) did not answer; cancel it again once it is back or another node took the task over"
        emit(.reply(pending.request, .refused(why)))
    }

    /// Entry side, every tick: requests past their deadline are answered; those whose owner has
    /// not answered yet ask it again (only it: the others answered already).
    mutating func retryCancelRequests(peers: TaskPeers) {
        for key in cancelRequests.keys.sorted() {
            guard let pending = cancelRequests[key] else { continue }
            if pending.deadline <= now { finishCancelRequest(key, isFinal: true); continue }
            guard pending.retryDue else { continue }
            cancelRequests[key]!.retryDue = false
            cancelRequests[key]!.isRetry = true
            var newest: TaskRecord?
            for copy in pending.copies where newest.map({ isNewer(copy, than: $0) }) ?? true { newest = copy }
            guard let owner = newest?.progress.owner, owner != name,
                  openExchange(.cancel(key), to: owner, in: peers, payload: .cancel(pending.id)) else { continue }
            cancelRequests[key]!.waiting += 1
        }
    }

    /// Answers whoever asked for a cancel.
    mutating func respond(_ origin: Origin, _ answer: TaskCancelAnswer, id: TaskID) {
        switch origin {
        case .stream(let stream):
            emit(.answer(stream, TaskMessage.cancelAnswer(answer).encoded()))
        case .control(let request):
            switch answer {
            case .cancelled(let record): emit(.reply(request, .taskCancelled(record)))
            case .finished(let record): emit(.reply(request, .taskFinished(record)))
            case .notOwner(let copy?) where copy.state.isTerminal: emit(.reply(request, .taskFinished(copy)))
            case .notOwner: emit(.reply(request, .taskNotFound(id, membersAsked: 1, membersAnswered: 1)))
            case .refused(let why): emit(.reply(request, .refused(why)))
            }
        }
    }
}
