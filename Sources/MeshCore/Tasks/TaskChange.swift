/// What fences one attempt (issue 9 §6): the owner epoch it ran under and its attempt number. A
/// result counts only if its fence is the task's current one.
public struct TaskFence: Equatable, Comparable, Sendable {
    /// The owner epoch (raised by every takeover).
    public var epoch: UInt64
    /// The attempt number (raised by every new run).
    public var attempt: UInt32

    /// A fence.
    public init(epoch: UInt64, attempt: UInt32) { self.epoch = epoch; self.attempt = attempt }

    public static func < (lhs: TaskFence, rhs: TaskFence) -> Bool { (lhs.epoch, lhs.attempt) < (rhs.epoch, rhs.attempt) }
}

/// The fields of a task that change (everything but its id, spec and history): what a log entry
/// sets when it replays a transition.
public struct TaskProgress: Equatable, Sendable {
    /// The current state.
    public var state: TaskState = .accepted
    /// The current attempt number: 0 before the first run, then raised by each new run.
    public var attempt: UInt32 = 0
    /// Attempts that failed (count towards `TaskSpec.attemptsMax`).
    public var failures: UInt32 = 0
    /// Attempts lost with their executor or owner (count towards `TaskLimits.lostAttemptsMax`).
    public var lostAttempts: UInt32 = 0
    /// The node that owns the task (fixed at acceptance, changed only by takeover).
    public var owner: String
    /// The owner's epoch: raised by every takeover, fences older attempts.
    public var ownerEpoch: UInt64
    /// How many nodes hold the task synced (the owner's count; 1 for a node alone).
    public var copies: UInt8
    /// Stale events not kept because the history already held `staleEventsMax` of them.
    public var staleDropped: UInt32 = 0

    /// The progress of a task just accepted by `owner` at `ownerEpoch`.
    public init(owner: String, ownerEpoch: UInt64, copies: UInt8) {
        self.owner = owner; self.ownerEpoch = ownerEpoch; self.copies = copies
    }

    /// The fence of the current attempt.
    public var fence: TaskFence { TaskFence(epoch: ownerEpoch, attempt: attempt) }
}

/// How an attempt ended, as its executor reports it.
public enum TaskOutcome: Equatable, Sendable {
    /// Exit code 0.
    case succeeded
    /// Anything else; the reason says what (`exit 3`, `killed by signal 9`).
    case failed(String)
    /// It ran past the task's timeout.
    case timedOut
}

/// A change asked of a task; `TaskRecord.apply` decides whether it is legal.
public enum TaskChange: Equatable, Sendable {
    /// accepted → queued (waiting for a free slot).
    case queue
    /// queued | retrying → running: a new attempt starts (from queued, the attempt number rises).
    case start
    /// An attempt's result, fenced: counts only if the fence is the current one and the task runs.
    case finish(TaskFence, TaskOutcome)
    /// The running attempt was lost with its executor (a crash): re-run at once, not a failure.
    case lose(reason: String)
    /// Any non-terminal state → cancelled.
    case cancel(reason: String)
    /// A replica takes over as owner with a higher epoch; a running attempt is lost.
    case takeOver(owner: String, epoch: UInt64)
    /// The number of synced copies changed (no event).
    case setCopies(UInt8)
}

/// What `TaskRecord.apply` did.
public enum TaskTransition: Equatable, Sendable {
    /// The change happened; these events were added to the history (possibly none: copies, owner).
    case applied([TaskEvent])
    /// A result from an older fence: recorded as a `stale` event (nil when the history already holds
    /// `staleEventsMax` of them and it was only counted); nothing else changed.
    case stale(TaskEvent?)
    /// The same result again for an attempt already decided: nothing changed, nothing recorded.
    case duplicate
    /// Not a legal transition (terminal states are final; a fence from the future); nothing changed.
    case refused(String)
}
