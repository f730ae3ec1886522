/// Timings and limits of the task protocol (issue 9), each a named setting with its reason.
public struct TaskSettings: Sendable, Equatable {
    /// How often the owner renews its lease with each replica, and how often the task machine
    /// looks at leases, takeovers, replication and deadlines (its tick).
    public var leaseRenewInterval: Nanoseconds = .milliseconds(500)
    /// How long a granted lease lasts, counted by the replica from when it granted and by the owner
    /// from when it sent the renew (so the owner's view always ends first).
    public var leaseDuration: Nanoseconds = .milliseconds(2_500)
    /// The owner stops its attempts this long before its lease ends without renewal.
    public var stopMargin: Nanoseconds = .milliseconds(500)
    /// The replica takes over this long after the lease it granted ended (clock drift and delays).
    public var takeoverMargin: Nanoseconds = .milliseconds(500)
    /// How long a control request (submit, query) may wait for other members.
    public var requestDeadline: Nanoseconds = .seconds(5)
    /// Forwards of one submission before the receiving node must keep it.
    public var hopsMax: UInt8 = 2
    /// Tasks accepted but not running, per profile, on one owner; past it a submission is `busy`.
    public var queueMax = 1_024
    /// Replica candidates tried for a new task before it is cancelled as not stored.
    public var replicaTriesMax = 3
    /// Retry backoff after a failed attempt: `retryBackoff × 2^(failures−1)`, at most `retryBackoffMax`.
    public var retryBackoff: Nanoseconds = .seconds(1)
    public var retryBackoffMax: Nanoseconds = .seconds(30)
    /// Members asked by one fan-out query (the rest are reported as not asked).
    public var queryMembersMax = 64

    /// The longest lease a `granted` message may carry (a larger one is hostile).
    public static let leaseDurationMax: Nanoseconds = .seconds(60)
    /// Requests (control and forwarded submissions) waiting at once; past it a submit is `busy`.
    public static let pendingRequestsMax = 4_096
    /// Task records one node holds (owned and replica copies); past it a submit is `busy`.
    public static let tasksHeldMax = 200_000

    /// The defaults.
    public init() {}
}

/// A record of the task layer's own bookkeeping in the log: this node keeps `id` as a replica
/// copy of `owner`'s task, or dropped it (a takeover fenced it off). Recovery reads it back, so a
/// node knows after a restart which copies it may take over (log kind 0x28, append-only).
public struct TaskRoleEntry: Equatable, Sendable {
    /// The log record kind.
    public static let kind: UInt8 = 0x28
    /// The task.
    public var id: TaskID
    /// True when this node dropped the task (it is no longer owner or replica).
    public var isDropped: Bool

    /// An entry.
    public init(id: TaskID, isDropped: Bool) { self.id = id; self.isDropped = isDropped }

    /// As a log record.
    public var logRecord: LogRecord { LogRecord(kind: Self.kind, body: id.bytes + [isDropped ? 1 : 0]) }

    /// The entry a log record holds; nil for another kind or a malformed body.
    public init?(_ record: LogRecord) {
        guard record.kind == Self.kind, record.body.count == TaskID.byteCount + 1, record.body.last! <= 1 else { return nil }
        id = TaskID(bytes: Array(record.body.prefix(TaskID.byteCount)))!
        isDropped = record.body.last! == 1
    }
}
