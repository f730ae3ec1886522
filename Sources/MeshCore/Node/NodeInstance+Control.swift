/// Operator joins waiting for their exchanges: which exchange belongs to which request, and each
/// request's results so far. Bounded by `ControlLimits.joinsInFlightMax` requests.
struct PendingJoins: Sendable {
    struct Join: Sendable {
        var attempts: [JoinAttempt]
        /// Per seed: true once its exchange has ended.
        var isDone: [Bool]
    }
    /// Exchange number → (request, index of its seed).
    var byExchange: [UInt64: (request: RequestID, seed: Int)] = [:]
    var byRequest: [RequestID: Join] = [:]
}

/// Control requests: the operator's leave, join, force-leave and key changes.
extension NodeInstance {
    mutating func control(_ command: ControlRequest, request: RequestID) {
        switch command {
        case .leave:
            taskControl(command, request: request)
            membership.leave()
            emit(.reply(to: request, .accepted))
        case .submitTask, .task, .tasks, .cancelTask:
            taskControl(command, request: request)
        case .join(let seeds):
            startJoin(seeds, request: request)
        case .forceLeave(let name):
            let refusal = membership.forceLeave(name)
            emit(.reply(to: request, refusal.map(ControlReply.refused) ?? .accepted))
        case .keys(let change):
            let refusal = changeKeys(change)
            emit(.reply(to: request, refusal.map { .refused($0.description) } ?? .accepted))
        case .roundTrip(let via, let target):
            askRoundTrip(via: via, to: target, request: request)
        }
    }

    /// Opens a join exchange with each seed; the reply waits until every one has ended.
    private mutating func startJoin(_ seeds: [Address], request: RequestID) {
        if membership.isLeaving { return emit(.reply(to: request, .refused("this node is leaving"))) }
        guard !seeds.isEmpty, seeds.count <= ControlLimits.joinSeedsMax else {
            return emit(.reply(to: request, .refused("give 1 to \(ControlLimits.joinSeedsMax) addresses to join")))
        }
        guard joins.byRequest.count < ControlLimits.joinsInFlightMax else {
            return emit(.reply(to: request, .refused("\(ControlLimits.joinsInFlightMax) joins are under way; try again shortly")))
        }
        var join = PendingJoins.Join(attempts: seeds.map { JoinAttempt(seed: $0, failure: nil) },
                                     isDone: Array(repeating: false, count: seeds.count))
        for (index, seed) in seeds.enumerated() {
            if seed == membership.address {
                join.attempts[index].failure = "that is this node's own address"
                join.isDone[index] = true
            } else if let exchange = membership.joinThrough(seed) {
                joins.byExchange[exchange] = (request, index)
            } else {
                join.attempts[index].failure = "too many exchanges under way; try again shortly"
                join.isDone[index] = true
            }
        }
        joins.byRequest[request] = join
        replyIfJoinDone(request)
    }

    /// An exchange ended (merged when `failure` is nil); answers its join once all have.
    mutating func joinExchangeEnded(_ exchange: UInt64, failure: String?) {
        guard let (request, index) = joins.byExchange.removeValue(forKey: exchange),
              var join = joins.byRequest[request] else { return }
        join.attempts[index].failure = failure
        join.isDone[index] = true
        joins.byRequest[request] = join
        replyIfJoinDone(request)
    }

    private mutating func replyIfJoinDone(_ request: RequestID) {
        guard let join = joins.byRequest[request], !join.isDone.contains(false) else { return }
        joins.byRequest.removeValue(forKey: request)
        gatherMembership()   // what the merges decided goes out before the answer
        emit(.reply(to: request, .joinOutcome(join.attempts)))
    }

    /// Applies a key change to the node's keyring: datagrams and new streams use it at once.
    private mutating func changeKeys(_ change: KeyChange) -> KeyChangeError? {
        guard let current = keyring else { return .unauthenticated }
        switch current.applying(change) {
        case .failure(let error):
            return error
        case .success(let next):
            keyring = next
            membership.replaceKeyring(next)
            return nil
        }
    }
}
