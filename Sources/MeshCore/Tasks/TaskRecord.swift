/// One task as its owner and replicas hold it: the spec, where it is, and its history.
public struct TaskRecord: Equatable, Sendable {
    /// The task's id.
    public var id: TaskID
    /// What was asked.
    public var spec: TaskSpec
    /// The fields that change.
    public var progress: TaskProgress
    /// Every event, oldest first (at most `TaskLimits.historyEventsMax`).
    public var history: [TaskEvent]

    /// A task just accepted by `owner`: state `accepted`, one `accepted` event at `at`.
    public init(id: TaskID, spec: TaskSpec, owner: String, ownerEpoch: UInt64, copies: UInt8, at: Int64) {
        self.id = id
        self.spec = spec
        progress = TaskProgress(owner: owner, ownerEpoch: ownerEpoch, copies: copies)
        history = [TaskEvent(state: .task(.accepted), attempt: 0, node: owner, at: at)]
    }

    /// A record from decoded parts (the codec checks them).
    init(id: TaskID, spec: TaskSpec, progress: TaskProgress, history: [TaskEvent]) {
        self.id = id; self.spec = spec; self.progress = progress; self.history = history
    }

    /// The current state.
    public var state: TaskState { progress.state }

    /// Applies `change`, reported by `node` at wall time `at` (ms); a pure function of the record and
    /// its arguments. An illegal change leaves the record as it was.
    public mutating func apply(_ change: TaskChange, by node: String, at: Int64) -> TaskTransition {
        switch change {
        case .queue:
            guard state == .accepted else { return refuse(change) }
            return enter(.queued, attempt: progress.attempt, node: node, at: at)
        case .start:
            guard state == .queued || state == .retrying else { return refuse(change) }
            let attempt = state == .queued ? progress.attempt &+ 1 : progress.attempt
            return enter(.running, attempt: attempt, node: node, at: at)
        case .finish(let fence, let outcome):
            return finish(fence, outcome, node: node, at: at)
        case .lose(let reason):
            guard state == .running else { return refuse(change) }
            return loseAttempt(reason: reason, node: node, at: at)
        case .cancel(let reason):
            guard !state.isTerminal else { return refuse(change) }
            return enter(.cancelled, attempt: progress.attempt, node: node, at: at, reason: reason)
        case .takeOver(let owner, let epoch):
            guard epoch > progress.ownerEpoch, epoch <= TaskLimits.epochMax else { return refuse(change) }
            progress.owner = owner
            progress.ownerEpoch = epoch
            guard state == .running else { return .applied([]) }
            return loseAttempt(reason: "owner changed to \(owner) (epoch \(epoch))", node: node, at: at)
        case .setCopies(let copies):
            guard copies >= 1, copies <= TaskLimits.copiesMax else { return refuse(change) }
            progress.copies = copies
            return .applied([])
        }
    }

    /// A fenced result: the current running attempt's decides; an older fence's is stale.
    private mutating func finish(_ fence: TaskFence, _ outcome: TaskOutcome, node: String, at: Int64) -> TaskTransition {
        if fence < progress.fence { return recordStale(fence, outcome, node: node, at: at) }
        if fence > progress.fence { return .refused("result for \(fence.epoch)/\(fence.attempt) is newer than the task's \(progress.ownerEpoch)/\(progress.attempt)") }
        guard state == .running else { return .duplicate }
        switch outcome {
        case .succeeded:
            return enter(.succeeded, attempt: fence.attempt, node: node, at: at, reason: "exit 0")
        case .timedOut:
            return enter(.timedOut, attempt: fence.attempt, node: node, at: at, reason: "ran past its timeout")
        case .failed(let reason):
            progress.failures &+= 1
            guard progress.failures < spec.attemptsMax else {
                return enter(.failed, attempt: fence.attempt, node: node, at: at, reason: reason)
            }
            return enter(.retrying, attempt: fence.attempt &+ 1, node: node, at: at,
                         reason: "attempt \(fence.attempt) failed: \(reason)")
        }
    }

    private mutating func loseAttempt(reason: String, node: String, at: Int64) -> TaskTransition {
        progress.lostAttempts &+= 1
        guard progress.lostAttempts <= TaskLimits.lostAttemptsMax else {
            return enter(.failed, attempt: progress.attempt, node: node, at: at,
                         reason: "\(TaskLimits.lostAttemptsMax) attempts lost: \(reason)")
        }
        return enter(.retrying, attempt: progress.attempt &+ 1, node: node, at: at,
                     reason: "attempt \(progress.attempt) lost: \(reason)")
    }

    private mutating func recordStale(_ fence: TaskFence, _ outcome: TaskOutcome, node: String, at: Int64) -> TaskTransition {
        let staleCount = history.count(where: { $0.state == .stale })
        guard staleCount < TaskLimits.staleEventsMax, history.count < TaskLimits.historyEventsMax else {
            progress.staleDropped &+= 1
            return .stale(nil)
        }
        let what = switch outcome {
        case .succeeded: "succeeded"
        case .failed(let reason): "failed: \(reason)"
        case .timedOut: "timed out"
        }
        let event = TaskEvent(state: .stale, attempt: fence.attempt, node: node, at: at,
                              reason: "epoch \(fence.epoch) attempt \(fence.attempt) \(what)")
        history.append(event)
        return .stale(event)
    }

    private mutating func enter(_ next: TaskState, attempt: UInt32, node: String, at: Int64, reason: String = "") -> TaskTransition {
        progress.state = next
        progress.attempt = attempt
        let event = TaskEvent(state: .task(next), attempt: attempt, node: node, at: at, reason: reason)
        // Transitions are bounded by the attempt limits, so this only drops the oldest non-first
        // events of a history that hostile stale input could not fill (stale events stop earlier).
        if history.count >= TaskLimits.historyEventsMax { history.remove(at: 1) }
        history.append(event)
        return .applied([event])
    }

    private func refuse(_ change: TaskChange) -> TaskTransition {
        .refused("\(change) is not allowed in state \(state.rawValue)")
    }
}
