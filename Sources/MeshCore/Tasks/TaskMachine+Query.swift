/// Queries from any node: the entry asks every alive member (up to `queryMembersMax`) for what it
/// holds, merges by id (highest epoch, then most events, wins) and answers when all answered or
/// the request deadline passed.
extension TaskMachine {
    /// A control request `task(id)` or `tasks(filter)`. A listing asks members for their newest
    /// summaries unfiltered (up to the listing bound) and filters only after merging by id: a
    /// member's stale copy must not be listed in a state its newest copy elsewhere has left.
    mutating func query(_ target: TaskQueryTarget, request: RequestID, peers: TaskPeers) {
        nextExchange &+= 1
        let key = nextExchange
        let targets = Array(peers.aliveNames.prefix(settings.queryMembersMax))
        var asked = target
        if case .list(let filter) = target { asked = .list(TaskFilter(after: filter.after)) }
        var query = Query(request: request, target: target, asked: 1 + min(peers.aliveNames.count, settings.queryMembersMax),
                          deadline: now + settings.requestDeadline)
        absorb(localAnswer(asked), into: &query)
        queries[key] = query
        for peer in targets where openExchange(.query(key), to: peer, in: peers, payload: .query(asked)) {
            queries[key]!.waiting += 1
        }
        if queries[key]!.waiting == 0 { finishQuery(key) }
    }

    /// A member's answer (nil: it failed).
    mutating func queryAnswered(_ key: UInt64, _ message: TaskMessage?) {
        guard var query = queries[key] else { return }
        query.waiting -= 1
        if let message {
            query.answered += 1
            absorb(message, into: &query)
        }
        queries[key] = query
        if query.waiting <= 0 { finishQuery(key) }
    }

    /// What this node holds for `target`.
    func localAnswer(_ target: TaskQueryTarget) -> TaskMessage {
        switch target {
        case .task(let id):
            // A takeover under way answers with its new epoch: a second copy holder verifying
            // its own takeover must see it, not the old copy it replaces.
            if let local = owned[id], local.isTakingOver, let pending = local.finishing { return .records([pending]) }
            return .records(records[id].map { [$0] } ?? [], isPassive: isPassiveCopy(id))
        case .list(let filter):
            var summaries = records.values.map(TaskSummary.init).filter(filter.admits)
            let truncated = summaries.count > filter.limit
            summaries.sort(by: TaskFilter.listingOrder)
            return .summaries(Array(summaries.prefix(filter.limit)), isTruncated: truncated)
        }
    }

    func absorb(_ message: TaskMessage, into query: inout Query) {
        switch message {
        case .records(let records, _):
            for record in records {
                if let held = query.records.first, isNewer(held, than: record) || held == record { continue }
                query.records = [record]
            }
        case .summaries(let summaries, let truncated):
            query.isTruncated = query.isTruncated || truncated
            if truncated, let last = summaries.max(by: TaskFilter.listingOrder),
               query.cutoff.map({ TaskFilter.listingOrder(last, $0) }) ?? true {
                query.cutoff = last
            }
            query.summaries.append(contentsOf: summaries)
        default:
            break
        }
    }

    /// Answers a query with what arrived.
    mutating func finishQuery(_ key: UInt64) {
        guard let query = queries.removeValue(forKey: key) else { return }
        switch query.target {
        case .task(let id):
            if let record = query.records.first {
                emit(.reply(query.request, .task(record)))
            } else {
                emit(.reply(query.request, .taskNotFound(id, membersAsked: query.asked, membersAnswered: query.answered)))
            }
        case .list(let filter):
            var newest: [TaskID: TaskSummary] = [:]
            for summary in query.summaries where newest[summary.id].map({ summary.isNewer(than: $0) }) ?? true {
                newest[summary.id] = summary
            }
            let cutoff = query.cutoff
            var tasks = newest.values.filter { summary in
                filter.admits(summary) && (cutoff.map { summary.id == $0.id || TaskFilter.listingOrder(summary, $0) } ?? true)
            }
            tasks.sort(by: TaskFilter.listingOrder)
            let truncated = query.isTruncated || tasks.count > filter.limit
            emit(.reply(query.request, .tasks(TaskListing(tasks: Array(tasks.prefix(filter.limit)), membersAsked: query.asked,
                                                         membersAnswered: query.answered, isTruncated: truncated))))
        }
    }
}

extension TaskMachine {
    /// True when this node keeps `id` only as a fenced-off copy: it neither owns it nor may take
    /// it over (not a copy its owner stored here, nor one recovered from the log).
    func isPassiveCopy(_ id: TaskID) -> Bool {
        records[id] != nil && owned[id] == nil && !liveCopies.contains(id) && !recoveredCopies.contains(id)
    }

    /// What this node holds and does about `id`, in one line (for diagnosing a simulation run).
    public func describe(_ id: TaskID) -> String {
        let record = records[id].map { "\($0.state.rawValue) \($0.progress.owner) e\($0.progress.ownerEpoch) events \($0.history.count)" } ?? "no copy"
        guard let local = owned[id] else { return record }
        let lease = local.replica.flatMap { leases[$0] }.map { "\($0)" } ?? "none"
        return record + "; owned: replica \(local.replica ?? "none") confirmed \(local.confirmedEvents) inFlight \(local.storeInFlight) finishing \(local.finishing != nil) run \(local.run.map { "\($0)" } ?? "none") verified \(local.isVerified) lease \(lease) verifying \(verifications[id] != nil)"
    }
}
