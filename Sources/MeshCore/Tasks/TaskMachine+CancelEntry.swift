/// Cancel (issue 10 §5), the entry's side: ask every member that is up, take the owner's answer,
/// and wait for the outcome. When the owner answers `cancelling` (it sent the stop to a running
/// attempt), the entry asks it again at once and that request waits for `cancelled`; a wait that
/// runs into the stream's deadline is asked again at once, up to the grace the owner announced
/// plus a margin (at most `cancelAnswerMax` after the request came, then `taskCancelling`).
extension TaskMachine {
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
        /// When the request came: the longest wait (`cancelAnswerMax`) counts from it.
        var askedAt: Instant
        var deadline: Instant
        /// The owner's `cancelling` answer (the record then and how long the stop may take): the
        /// stop was sent, so a `cancelled` record heard later is this request's own outcome.
        var acknowledged: TaskRecord?
        /// When the owner expects the stopped attempt to be over (as it announced).
        var stopBy: Instant = .zero
        /// True once the owner was asked again: a `cancelled` record it then reports is this
        /// request's own outcome, not a task that had already finished.
        var isRetry = false
        /// True while waiting for the next tick to ask the owner again.
        var retryDue = false
        /// True when the last exchange that failed had sent its request (it ran into the stream's
        /// deadline while the owner waited for the attempt to stop): the owner is asked again at
        /// once, not on the next tick.
        var lastFailureSent = false
        /// True when the last exchange that failed made no connection (the owner may be down):
        /// past the deadline the entry then does not claim the cancel is under way.
        var lastFailureUnsent = false
    }

    /// A control request `cancelTask(id)`: this node is the entry node.
    mutating func cancel(_ id: TaskID, request: RequestID, peers: TaskPeers) {
        nextExchange &+= 1
        let key = nextExchange
        let mine = isOwner(id)
        let targets = mine ? [] : Array(peers.aliveNames.prefix(settings.queryMembersMax))
        var pending = CancelRequest(request: request, id: id, asked: 1 + targets.count, askedAt: now,
                                    deadline: now + settings.requestDeadline)
        if let copy = records[id] { pending.copies.append(copy) }
        if mine { pending.waiting = 1 }
        cancelRequests[key] = pending
        if mine { return cancelOwned(id, waiter: .local(key), peers: peers) }
        for peer in targets where openExchange(.cancel(key), to: peer, in: peers, payload: .cancel(id)) {
            cancelRequests[key]!.waiting += 1
        }
        if cancelRequests[key]!.waiting == 0 { finishCancelRequest(key, peers: peers) }
    }

    /// A member's answer to an entry's `cancel` (nil: the exchange failed; `requestSent`: after
    /// its request went out).
    mutating func cancelAnswered(_ key: UInt64, _ message: TaskMessage?, requestSent: Bool = true, peers: TaskPeers?) {
        guard var pending = cancelRequests[key] else { return }
        pending.waiting -= 1
        switch message {
        case .cancelAnswer(.cancelled(let record))?:
            cancelRequests[key] = nil
            return emit(.reply(pending.request, .taskCancelled(record)))
        case .cancelAnswer(.finished(let record))?:
            cancelRequests[key] = nil
            let isOwnOutcome = (pending.isRetry || pending.acknowledged != nil) && record.state == .cancelled
            return emit(.reply(pending.request, isOwnOutcome ? .taskCancelled(record) : .taskFinished(record)))
        case .cancelAnswer(.cancelling(let record, let within))?:
            if pending.acknowledged == nil { pending.answered += 1 }
            pending.acknowledged = record
            pending.lastFailureUnsent = false
            pending.stopBy = now + min(max(within, 0), TaskSettings.cancelStopMax)
            pending.copies.append(record)
            pending.deadline = max(pending.deadline, min(pending.stopBy, pending.askedAt + settings.cancelAnswerMax))
            cancelRequests[key] = pending
            return askOwnerAgain(key, owner: record.progress.owner, peers: peers)
        case .cancelAnswer(.notOwner(let copy))?:
            pending.answered += 1
            if let copy, copy.id == pending.id { pending.copies.append(copy) }
        case .cancelAnswer(.refused(let why))?:
            pending.answered += 1
            pending.refusal = why
        case nil:
            pending.lastFailureSent = requestSent
            pending.lastFailureUnsent = !requestSent
        default:
            break
        }
        cancelRequests[key] = pending
        if pending.waiting <= 0 { finishCancelRequest(key, peers: peers) }
    }

    /// Asks the owner again (its answer waits for the outcome): on a stream, or straight in.
    mutating func askOwnerAgain(_ key: UInt64, owner: String, peers: TaskPeers?) {
        guard var pending = cancelRequests[key] else { return }
        pending.isRetry = true
        pending.retryDue = false
        pending.lastFailureSent = false
        pending.waiting += 1
        cancelRequests[key] = pending
        if owner == name, isOwner(pending.id), let peers { return cancelOwned(pending.id, waiter: .local(key), peers: peers) }
        if let peers, owner != name, openExchange(.cancel(key), to: owner, in: peers, payload: .cancel(pending.id)) { return }
        cancelRequests[key]!.waiting -= 1
        cancelRequests[key]!.retryDue = true
    }

    /// No owner answered: not found, already finished (by the newest copy), or — when the newest
    /// copy is unfinished — asked again (at once after a stream deadline, else on the next tick)
    /// until the request's deadline (`isFinal`), then `taskCancelling` when the owner had sent the
    /// stop and still answers, else not reachable now (a `cancelling` owner that went silent may
    /// have died before it recorded `cancelled`: no promise is made for it).
    mutating func finishCancelRequest(_ key: UInt64, isFinal: Bool = false, peers: TaskPeers? = nil) {
        guard let pending = cancelRequests[key], pending.waiting <= 0 || isFinal else { return }
        let newest = newestCopy(pending.copies)
        if let newest, !newest.state.isTerminal, !isFinal, now < pending.deadline {
            if pending.lastFailureSent, peers != nil { return askOwnerAgain(key, owner: newest.progress.owner, peers: peers) }
            cancelRequests[key]!.retryDue = true
            return
        }
        cancelRequests[key] = nil
        guard let newest else {
            return emit(.reply(pending.request, .taskNotFound(pending.id, membersAsked: pending.asked, membersAnswered: pending.answered)))
        }
        if newest.state == .cancelled, pending.acknowledged != nil { return emit(.reply(pending.request, .taskCancelled(newest))) }
        if newest.state.isTerminal { return emit(.reply(pending.request, .taskFinished(newest))) }
        if pending.acknowledged != nil, !pending.lastFailureUnsent {
            return emit(.reply(pending.request, .taskCancelling(newest, stopWithin: max(pending.stopBy - now, 0))))
        }
        if pending.acknowledged != nil {
            return emit(.reply(pending.request, .refused("the owner of task \(pending.id) (\(newest.progress.owner)) stopped answering while it "
                + "stopped the attempt: the cancel may not be recorded; see mesh task \(pending.id) and cancel it again if it runs")))
        }
        let why = pending.refusal
            ?? "the owner of task \(pending.id) (\(newest.progress.owner)) did not answer; cancel it again once it is back or another node took the task over"
        emit(.reply(pending.request, .refused(why)))
    }

    /// The newest of `copies` (higher epoch, then more events).
    func newestCopy(_ copies: [TaskRecord]) -> TaskRecord? {
        var newest: TaskRecord?
        for copy in copies where newest.map({ isNewer(copy, than: $0) }) ?? true { newest = copy }
        return newest
    }

    /// Entry side, every tick: requests past their deadline are answered; those whose owner has
    /// not answered yet ask it again (only it: the others answered already).
    mutating func retryCancelRequests(peers: TaskPeers) {
        for key in cancelRequests.keys.sorted() {
            guard let pending = cancelRequests[key] else { continue }
            if pending.deadline <= now { finishCancelRequest(key, isFinal: true, peers: peers); continue }
            guard pending.retryDue, let owner = newestCopy(pending.copies)?.progress.owner else { continue }
            askOwnerAgain(key, owner: owner, peers: peers)
        }
    }
}
