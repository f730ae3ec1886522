/// The distributed task protocol (issue 9; design in the lead's tasks-protocol notes): submission
/// and forwarding, two synced copies before "accepted", execution on the owner, leases renewed
/// through the replica, fencing by epoch, takeover, re-replication and graceful handover.
///
/// A value with no I/O, owned by `NodeInstance` like `Membership`. Each input gets the members as
/// `TaskPeers` (built by the node from membership and capacity gossip) and leaves `Effect`s that the
/// node turns into directives, in order. The work is split by job: submission (+Submit),
/// replication and queries (+Replication), leases and takeover (+Lease), execution (+Execution).
///
/// Safety rules, each where it is enforced:
/// - "accepted" is answered only when the owner's `logSynced` covers the record and the replica
///   answered `stored` (which it does only after its own sync);
/// - a terminal state is stored on the replica first and committed by the owner only once the
///   replica holds it, so a takeover (which raises the epoch on the replica's copy) fences it off;
///   before the store, the owner syncs it as a pending finish, so a restart resumes that finish
///   instead of running the task again (`TaskFinishingEntry`);
/// - a takeover counts once the new replica stored it; the taker syncs a takeover mark before that
///   store, so after a crash it refuses the old owner's older epoch until the mark is settled
///   (`TaskMachine+Marks`);
/// - takeover and re-replication need the owner (resp. replica) dead or left AND this node seeing a
///   majority of the members it knows alive, so the two sides of a partition never both act;
/// - a replica takes over only after the lease it granted in this life ended plus a margin.
public struct TaskMachine: Sendable {
    /// What the node must do for the task machine.
    enum Effect: Sendable, Equatable {
        case exchange(UInt64, to: Address, payload: Bytes)
        /// Answer the inbound stream request `stream` (nil: close it unanswered).
        case answer(StreamID, Bytes?)
        case append(LogRecord)
        case sync
        /// Replace the log with this snapshot (`TaskMachine+Compact`).
        case compactLog([LogRecord])
        case setTimer(TaskTimer, at: Instant)
        case startAgent(AgentRun)
        case stopAgent(RunID, StopSignal)
        case reply(RequestID, ControlReply)
    }

    /// Who waits for a submission's answer.
    enum Origin: Sendable, Equatable {
        case control(RequestID)
        case stream(StreamID)
    }

    /// What this node keeps about a task it owns.
    struct Owned: Sendable {
        var replica: String?
        /// Replica candidates already tried for this task (a new task, or after a replica died).
        var triedReplicas: [String] = []
        /// History length the replica confirmed; -1 until it confirms one.
        var confirmedEvents = -1
        var storeInFlight = false
        /// True once a `store` to the current replica ended without an answer: the replica may
        /// hold a copy (the reply was lost, not the request), so a new task never moves on to
        /// another replica (two copies that could each be taken over) and its cancellation must
        /// be stored there too before it counts.
        var replicaMayHoldCopy = false
        /// A record that counts only once the replica stored it: a terminal state, or this
        /// node's takeover (the next epoch). A terminal state is in the log here as a pending
        /// finish (`TaskFinishingEntry`), synced before it is stored on the replica, so a restart
        /// resumes it; a takeover is in the log as a mark only (`TaskTakeoverMark`): a crash
        /// forgets the takeover (`TaskMachine+Adopt`) but not that its epoch may exist.
        var finishing: TaskRecord? {
            get { finishingBox?.record }
            set { finishingBox = newValue.map { FinishingRecord($0) } }
        }
        /// Where `finishing` is kept: boxed, so copying an entry (every tick reads every one)
        /// copies one reference, not a whole record that is nil nearly always.
        var finishingBox: FinishingRecord?
        /// True while `finishing` is a takeover not yet stored on the new replica.
        var isTakingOver: Bool { finishing.map { !$0.state.isTerminal } ?? false }
        /// When a retrying task may run again.
        var retryAt: Instant?
        /// The run of the current attempt, when one runs.
        var run: RunID?
        /// False for a task recovered from the log until every member that is up answered a
        /// query without a newer copy (a takeover may have happened while this node was down).
        var isVerified = true
        /// Replicas this task had before: each is told to drop its copy (`release`), so a stale
        /// copy never takes a task over.
        var formerReplicas: [String] = []
        var releaseInFlight = false
    }

    /// A finishing record, boxed (see `Owned.finishing`); never changed in place.
    final class FinishingRecord: Sendable {
        let record: TaskRecord
        /// The log position of its pending finish or takeover mark: it is stored on the replica
        /// only once synced here (0: nothing to wait for, a finish recovered from the log).
        let durableAt: LogPosition
        init(_ record: TaskRecord, durableAt: LogPosition = 0) { self.record = record; self.durableAt = durableAt }
    }

    /// A check with every member that is up before acting on a copy: no newer one anywhere.
    struct Verification: Sendable {
        /// `moveTakeover`: a takeover whose new replica died after a `store` it may have kept
        /// moves to another replica (`abandonStalledTakeovers`).
        /// `resolveMark`: a takeover mark that still counts is settled (`TaskMachine+Marks`).
        enum Purpose: Sendable { case recoveredOwner, takeover, replaceReplica, moveTakeover, resolveMark }
        var purpose: Purpose
        var waiting = 0
        var isBlocked = false
        /// Members that answered, this node included; the action needs a majority of `known`.
        var answered = 1
        var known = 1
        /// A member whose answer is required (a recovered owner's replica: it may have taken over).
        var required: String?
        var heardRequired = false
        /// A member held dead that is asked anyway (the owner of a takeover, the replica being
        /// replaced): if it answers, it is not dead, and the action waits.
        var presumedDead: String?
        /// True for a copy recovered from the log (a takeover, or an owner whose replica is
        /// down): every member known but `excused` must answer, not just a majority, since the
        /// task may have moved while this node was down.
        var needsEveryMember = false
        /// The one member whose silence is expected (the dead owner, the dead replica).
        var excused: String?
    }

    /// A new task waiting for its two copies.
    struct Acceptance: Sendable {
        var origin: Origin
        var position: LogPosition
        var isSynced = false
        var deadline: Instant
    }

    /// An agent run this node started.
    struct Run: Sendable {
        var task: TaskID
        var fence: TaskFence
        var profile: String
        /// When the attempt's timeout runs out (nil: none).
        var deadline: Instant?
        /// Why this node is stopping the run, once it asked the shell to (`TaskMachine+Cancel`).
        var stop: RunStop?
    }

    /// A submission forwarded to the owner the placement gave, and the owners tried so far.
    struct Forward: Sendable {
        var origin: Origin
        var id: TaskID
        var spec: TaskSpec
        /// Forwards so far, this one included (a retry to the next candidate is not a new hop).
        var hops: UInt8
        var tried: [String]
        var deadline: Instant
    }

    /// What an outbound exchange is for.
    enum Exchange: Sendable {
        case forward(Forward)
        case store(TaskID, replica: String, eventCount: Int, handover: Bool)
        case renew(replica: String, sentAt: Instant)
        case query(UInt64)
        case verify(TaskID, peer: String)
        case release(TaskID, replica: String)
        /// A copy pushed back to the owner it names (`TaskMachine+Adopt`).
        case push(TaskID, owner: String)
        case cancel(UInt64)
    }

    /// A fan-out query under way.
    struct Query: Sendable {
        var request: RequestID
        var target: TaskQueryTarget
        var asked: Int
        var answered = 1
        var waiting = 0
        var records: [TaskRecord] = []
        var summaries: [TaskSummary] = []
        var isTruncated = false
        /// The last summary (listing order) of the member whose answer, cut at its bound, ended
        /// first: tasks after it may have a newer copy there that was not sent, so a listing
        /// stops at it (and says it is truncated).
        var cutoff: TaskSummary?
        var deadline: Instant
    }

    let name: String
    let settings: TaskSettings
    /// Profile → slots this node runs (from its config; the command stays in the shell).
    let slots: [String: Int]
    var idGenerator: TaskIDGenerator
    var now: Instant = .zero
    var wallMilliseconds: Int64 = 0
    /// Every task held: owned, or a replica copy.
    public internal(set) var records: [TaskID: TaskRecord] = [:]
    var owned = OwnedTasks()
    /// Placement rings kept until the candidates change.
    var placementCache = TaskPlacementCache()
    var accepting: [TaskID: Acceptance] = [:]
    /// Tasks ready to run (queued, or retrying with its backoff over), FIFO per profile.
    var ready: [String: [TaskID]] = [:]
    var busy: [String: Int] = [:]
    var runs: [RunID: Run] = [:]
    var nextRun: UInt64 = 0
    var exchanges: [UInt64: Exchange] = [:]
    var nextExchange: UInt64 = 0
    var queries: [UInt64: Query] = [:]
    var verifications: [TaskID: Verification] = [:]
    /// Owner side: tasks being cancelled, with who waits for the answer.
    var cancels: [TaskID: Cancelling] = [:]
    /// Entry side: cancel requests waiting for the members' answers.
    var cancelRequests: [UInt64: CancelRequest] = [:]
    /// Replica copies an owner stored here in this life: only these may be taken over. A copy
    /// recovered from the log may be stale (its owner moved the task while this node was down)
    /// and waits until its owner stores it again.
    var liveCopies: Set<TaskID> = []
    /// Replica copies recovered from the log (not fenced off, not owned): taken over like live
    /// ones once the restart's quiet period is over, if their owner is dead or left and the
    /// verification finds no newer copy. Without this a task whose owner stays dead while its
    /// replica restarted would stay `running` or `queued` forever.
    var recoveredCopies: Set<TaskID> = []
    /// Member → the highest incarnation seen: a rise means it may have restarted, and the copies
    /// naming it as owner are pushed back to it (`TaskMachine+Adopt`).
    var memberLives: [String: UInt64] = [:]
    /// Copies to push back to the owner they name, and the pushes in flight.
    var copyPushes: Set<TaskID> = []
    var pushesInFlight: Set<TaskID> = []
    /// Replica side: owner → when the lease this node granted it ends (own clock).
    var grants: [String: Instant] = [:]
    /// Replica side: owner → the grant whose lapse `demoteLapsedCopies` handled already.
    var lapsedChecked: [String: Instant] = [:]
    /// Owner side: replica → when its lease ends, counted from the renew's sending.
    var leases: [String: Instant] = [:]
    var renewsInFlight: Set<String> = []
    /// Inbound `store` answers waiting for `logSynced` to cover `position`.
    var deferredAnswers: [(position: LogPosition, stream: StreamID, bytes: Bytes)] = []
    /// Pending finishes appended and not yet synced, in position order: each is stored on its
    /// replica once `logSynced` covers it.
    var finishesAwaitingSync: [(position: LogPosition, id: TaskID)] = []
    /// Task → the epoch of a takeover this node made that may be held elsewhere while its own
    /// record is older (`TaskMachine+Marks`): stores of an older epoch are refused.
    var takeoverMarks: [TaskID: UInt64] = [:]
    var appended: LogPosition
    var synced: LogPosition
    var needsSync = false
    /// What the log's role entries say (`TaskMachine+Compact`): what a snapshot writes of them.
    var loggedRoles = LoggedRoles()
    /// True from a `compactLog` until its `logCompacted`.
    var isCompacting = false
    /// Records appended since the last snapshot was asked for (at the start: the recovered log).
    var appendedSinceSnapshot = 0
    /// `appendedSinceSnapshot` past which `compactIfGrown` weighs a snapshot again.
    var compactionCheckAt: Int
    var isDiskFull = false
    var isLeaving = false
    /// Until then a restarted node grants no lease and takes nothing over.
    var quietUntil: Instant = .zero
    let isRestart: Bool
    var effects: [Effect] = []
    /// True while the tick timer is armed. It runs only while there is task work (a node that
    /// never saw a task arms no timer, so it costs a membership-only mesh nothing).
    var isTickArmed = false
    /// When the armed tick fires.
    var nextTickAt: Instant = .zero
    public internal(set) var stats = TaskStats()

    /// A machine for node `name` running `slots`, rebuilding its tasks from `recovered`.
    init(name: String, incarnation: UInt64, idSalt: Bytes = [], slots: [String: Int], settings: TaskSettings,
         recovered: RecoveredLog) {
        self.name = name
        self.settings = settings
        self.slots = slots
        idGenerator = TaskIDGenerator(node: name, incarnation: incarnation, salt: idSalt)
        appended = recovered.position
        synced = recovered.position
        isRestart = !recovered.records.isEmpty
        appendedSinceSnapshot = recovered.records.count
        compactionCheckAt = settings.logCompactionFloor
        recover(recovered.records)
    }

    mutating func take() -> [Effect] {
        settleCancels()
        armTickIfNeeded()
        compactIfGrown()
        if needsSync {
            needsSync = false
            effects.append(.sync)
        }
        defer { effects.removeAll(keepingCapacity: true) }
        return effects
    }

    mutating func emit(_ effect: Effect) { effects.append(effect) }

    /// True when something needs the tick: tasks held, requests waiting, runs, leases granted.
    var hasWork: Bool {
        !records.isEmpty || !accepting.isEmpty || !queries.isEmpty || !runs.isEmpty || !exchanges.isEmpty
            || !cancelRequests.isEmpty || !takeoverMarks.isEmpty
    }

    mutating func armTickIfNeeded() {
        guard !isTickArmed, hasWork else { return }
        isTickArmed = true
        nextTickAt = now + settings.leaseRenewInterval
        effects.append(.setTimer(.tick, at: nextTickAt))
    }

    /// Appends a record; the next `take` asks for one sync covering every append before it.
    mutating func append(_ record: LogRecord) {
        appended &+= 1
        appendedSinceSnapshot &+= 1
        needsSync = true
        emit(.append(record))
    }

    mutating func openExchange(_ exchange: Exchange, to peer: String, in peers: TaskPeers, payload: TaskMessage) -> Bool {
        guard let address = peers.address(of: peer) else { return false }
        var exchange = exchange
        if case .verify(let id, _) = exchange { exchange = .verify(id, peer: peer) }
        nextExchange &+= 1
        exchanges[nextExchange] = exchange
        emit(.exchange(nextExchange, to: address, payload: payload.encoded()))
        return true
    }

    /// The wall-clock time for history events.
    var at: Int64 { wallMilliseconds }
}

/// What the task machine did, counted (for the simulator's report and `/v1/health`).
public struct TaskStats: Sendable, Equatable {
    public var accepted: UInt64 = 0
    public var forwarded: UInt64 = 0
    /// Forwards of a submission that had been forwarded already (its owner saw another owner):
    /// how often a task was forwarded more than once.
    public var forwardedAgain: UInt64 = 0
    public var refused: UInt64 = 0
    public var duplicates: UInt64 = 0
    public var attemptsStarted: UInt64 = 0
    public var attemptsLost: UInt64 = 0
    public var staleResults: UInt64 = 0
    public var takeovers: UInt64 = 0
    public var handovers: UInt64 = 0
    public var replicasReplaced: UInt64 = 0
    /// Copies naming this node as owner that a copy holder pushed back and this node adopted (it
    /// had lost a takeover it made, with its memory, before the takeover counted here).
    public var copiesAdopted: UInt64 = 0
    /// Takeover marks cleared: no member held the epoch they marked (`TaskMachine+Marks`).
    public var takeoverMarksCleared: UInt64 = 0
    public var fenced: UInt64 = 0
    public var badMessages: UInt64 = 0
    /// Snapshots this node asked for (`compactLog`), and the records the last one held.
    public var compactions: UInt64 = 0
    /// Finished tasks forgotten past `TaskSettings.finishedRetention` (`TaskMachine+Forget`).
    public var tasksForgotten: UInt64 = 0
    public var snapshotRecords: UInt64 = 0
    public init() {}
}

/// The task machine's timers.
public enum TaskTimer: Hashable, Sendable {
    /// Renew leases, check takeovers, retry replication, expire deadlines (every `leaseRenewInterval`).
    case tick
}
