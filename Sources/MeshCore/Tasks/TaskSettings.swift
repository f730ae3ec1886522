/// Timings and limits of the task protocol (issue 9), each a named setting with its reason.
public struct TaskSettings: Sendable, Equatable {
    /// How often the owner renews its lease with each replica, and how often the task machine
    /// looks at leases, takeovers, replication and deadlines (its tick).
    public var leaseRenewInterval: Nanoseconds = .milliseconds(500)
    /// How long a granted lease lasts, counted by the replica from when it granted and by the owner
    /// from when it sent the renew (so the owner's view always ends first). With the renew every
    /// 0.5 s and `stopMargin`, an owner cut off stops its attempts 1.5–2 s after its last renew;
    /// a replica takes over `takeoverMargin` after the lease lapses, about when the failure
    /// detector of the `lan` preset holds the owner dead (~2 s), so the lease adds little to it.
    public var leaseDuration: Nanoseconds = .milliseconds(2_000)
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
    /// Profile → its `cancelGrace` (SIGTERM to SIGKILL) from the node's config; a profile not
    /// listed has `cancelGraceDefault`. The owner tells a cancel's entry how long to wait from it.
    public var cancelGraces: [String: Nanoseconds] = [:]
    /// What a cancel may take beyond the grace: the last kill, hashing the artifacts, storing
    /// `cancelled` on both copies.
    public var cancelStopMargin: Nanoseconds = .seconds(2)
    /// The longest an entry holds a cancel before it answers `cancelling` (the stop was sent,
    /// `cancelled` follows): below the shell's own deadline for a control request (10 s).
    public var cancelAnswerMax: Nanoseconds = .seconds(8)
    /// Records appended since the last snapshot (or since the start, counting the recovered log)
    /// below which the log is never compacted: a snapshot rewrites every task held, so it is not
    /// worth writing for a small log. 4,096 task records are a few hundred KiB at most.
    public var logCompactionFloor = 4_096
    /// The log is compacted once the records appended since the last snapshot exceed this many
    /// times the records a snapshot would hold (and `logCompactionFloor`): the log stays within
    /// about `1 + logCompactionGrowth` snapshots, and the cost of writing one is spread over at
    /// least as many appends as it holds records. 0 (with a floor of 0): after every append (tests).
    public var logCompactionGrowth = 2
    /// How long a finished task is kept after its last event before a snapshot leaves it out
    /// (`TaskMachine+Forget`): as long as a task's workspace by default (7 days), and never less
    /// than the idempotency window (the config refuses less than `finishedRetentionMin`).
    public var finishedRetention: Nanoseconds = .seconds(7 * 86_400)
    /// The shortest `finishedRetention` a config may set: a retried submission with the same
    /// idempotency key lands on the same task for at least this long.
    public static let finishedRetentionMin: Nanoseconds = .seconds(86_400)
    /// The longest `finishedRetention` a config may set (10 years).
    public static let finishedRetentionMax: Nanoseconds = .seconds(3_650 * 86_400)
    /// The `logCompactionFloor` a config may set: below 64 a node would rewrite its snapshot
    /// every few tasks; the top only bounds the number.
    public static let logCompactionFloorRange = 64...1_000_000_000

    /// The grace of a profile no config names.
    public static let cancelGraceDefault: Nanoseconds = .milliseconds(500)
    /// The longest stop an owner's `cancelling` answer may announce (a longer one from the wire
    /// is clamped): the longest grace a profile may have (60 s) and the margin.
    public static let cancelStopMax: Nanoseconds = .seconds(65)

    /// Owners one submission is forwarded to at most: a forward whose request never left (no
    /// connection: the owner is down and membership does not know it yet) goes to the next
    /// candidate of the placement, within the request deadline.
    public static let forwardTriesMax = 3

    /// How long after its quiet period a restarted node waits before it acts on a copy recovered
    /// from its log (verifies a task it owned, takes over one it held, counts an owner the mesh
    /// does not know as gone): by then it knows the mesh again, not a partial view of it.
    public static let unknownOwnerWait: Nanoseconds = .seconds(10)

    /// The longest lease a `granted` message may carry (a larger one is hostile).
    public static let leaseDurationMax: Nanoseconds = .seconds(60)
    /// Requests (control and forwarded submissions) waiting at once; past it a submit is `busy`.
    public static let pendingRequestsMax = 4_096
    /// Task records one node holds (owned and replica copies); past it a submit is `busy`.
    public static let tasksHeldMax = 200_000

    /// The defaults.
    public init() {}
}

/// A record of the task layer's own bookkeeping in the log (kind 0x28, append-only): this node
/// keeps `id` as a copy, dropped it (a takeover fenced it off, or it handed it over), or, as its
/// owner, chose `replica` for it. Recovery reads them back, so a restarted owner goes back to the
/// replica it had (which fences it off if it took over) and never forgets what it dropped.
public struct TaskRoleEntry: Equatable, Sendable {
    /// What the entry says.
    public enum Role: Equatable, Sendable {
        case kept
        case dropped
        case replica(String)
        /// A newer copy fenced this node's off: it keeps that copy (so a stale owner storing an
        /// older epoch here is fenced too), but it is not that task's replica.
        case passive
    }
    /// The log record kind.
    public static let kind: UInt8 = 0x28
    /// The task.
    public var id: TaskID
    public var role: Role

    /// An entry.
    public init(id: TaskID, role: Role) { self.id = id; self.role = role }

    /// As a log record.
    public var logRecord: LogRecord {
        var w = ByteWriter(capacity: 40)
        w.raw(id.bytes)
        switch role {
        case .kept: w.u8(0)
        case .dropped: w.u8(1)
        case .replica(let name): w.u8(2); w.shortString(name)
        case .passive: w.u8(3)
        }
        return LogRecord(kind: Self.kind, body: w.bytes)
    }

    /// The entry a log record holds; nil for another kind or a malformed body.
    public init?(_ record: LogRecord) {
        guard record.kind == Self.kind else { return nil }
        var r = ByteReader(record.body)
        guard let id = try? TaskCodec.readID(&r), let flag = try? r.u8() else { return nil }
        self.id = id
        switch flag {
        case 0: role = .kept
        case 1: role = .dropped
        case 2:
            guard let name = try? r.shortString(limit: WireLimits.nameBytesMax), MemberName.validationError(name) == nil else { return nil }
            role = .replica(name)
        case 3: role = .passive
        default: return nil
        }
        guard r.isAtEnd else { return nil }
    }
}
