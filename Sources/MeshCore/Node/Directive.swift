/// A stream (a TCP connection in the real shell). Outgoing streams are numbered by the core,
/// incoming ones by the shell: `isInbound` keeps the two numberings apart.
public struct StreamID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var value: UInt64
    public var isInbound: Bool
    /// An outbound stream the shell may carry on a kept-open connection it shares with other
    /// streams to the same peer (task traffic); without it, a stream gets a connection of its own.
    /// Either way the stream's contract is the same: its own hello, frames, tags and deadline.
    public var isShared: Bool
    public init(_ value: UInt64, isInbound: Bool = false, isShared: Bool = false) {
        self.value = value; self.isInbound = isInbound; self.isShared = isShared
    }
    /// An incoming stream numbered by the shell.
    public static func inbound(_ value: UInt64) -> StreamID { StreamID(value, isInbound: true) }
    public static func < (lhs: StreamID, rhs: StreamID) -> Bool {
        (lhs.isInbound ? 1 : 0, lhs.value) < (rhs.isInbound ? 1 : 0, rhs.value)
    }
    public var description: String { "\(isInbound ? "in" : "out")#\(value)" }
}

/// A control request (from the HTTP API or the CLI), numbered by the shell; its reply may come
/// any number of inputs later, as `Directive.reply(to:)`.
public struct RequestID: Hashable, Sendable, CustomStringConvertible {
    public var value: UInt64
    public init(_ value: UInt64) { self.value = value }
    public var description: String { "request#\(value)" }
}

/// One run of an agent, numbered by the core.
public struct RunID: Hashable, Sendable, CustomStringConvertible {
    public var value: UInt64
    public init(_ value: UInt64) { self.value = value }
    public var description: String { "run#\(value)" }
}

/// What the shell needs to start an agent: never a command line. The shell maps `profile` to a
/// command its own local configuration allows, and refuses (with `agentExited(.refused)`) a profile
/// it does not know.
///
/// The shell runs it in the task's workspace `<data>/tasks/<task>/{inbox,artifacts,logs}` with
/// `prompt` on stdin and in `inbox/prompt.md`, in a process group of its own that never outlives
/// the node.
public struct AgentRun: Sendable, Equatable {
    /// The run's number (what `stopAgent` and `agentExited` name).
    public var run: RunID
    /// The profile to run: a name in the node's local config, never a command.
    public var profile: String
    /// The task id's text (names the workspace directory).
    public var task: String
    /// The attempt number (fencing; names the attempt's log files).
    public var attempt: UInt32
    /// The prompt text (≤ `TaskLimits.promptBytesMax`).
    public var prompt: String
    /// The attempt's timeout; the shell does not enforce it (the core's tick does: it stops the
    /// run with `stopAgent(.terminate)` and records `timed_out`).
    public var timeout: Nanoseconds
    /// The task's declared outputs: the shell hashes them first and reports those missing.
    public var expect: [String]
    public init(run: RunID, profile: String, task: String, attempt: UInt32, prompt: String = "",
                timeout: Nanoseconds = TaskLimits.timeoutDefault, expect: [String] = []) {
        self.run = run; self.profile = profile; self.task = task; self.attempt = attempt
        self.prompt = prompt; self.timeout = timeout; self.expect = expect
    }
}

/// What an ended attempt left behind, as the shell found it: the files in `artifacts/` (hashed),
/// and the declared outputs (the task's and its profile's) that are not among them.
public struct AgentOutputs: Sendable, Equatable {
    /// Regular files of `artifacts/`, declared outputs first, then by name; at most
    /// `TaskLimits.artifactsRecordedMax`.
    public var artifacts: [TaskFile]
    /// Files past that bound, counted, not listed.
    public var unrecorded: Int
    /// Declared outputs not found (the profile's included, which only the shell knows).
    public var missing: [String]
    public init(artifacts: [TaskFile] = [], unrecorded: Int = 0, missing: [String] = []) {
        self.artifacts = artifacts; self.unrecorded = unrecorded; self.missing = missing
    }
}

/// How an agent run ended.
public enum AgentExit: Sendable, Equatable {
    /// The process exited with this status.
    case exited(Int32)
    /// The process was killed by this signal.
    case signalled(Int32)
    /// The shell could not start it (unknown profile, spawn failure); says why.
    case refused(String)
    /// The shell's stall watchdog stopped it: no output for this long (the profile's `stallAfter`).
    case stalled(silence: Nanoseconds)
}

/// How to stop an agent run: ask first, then insist.
public enum StopSignal: Sendable, Equatable {
    case terminate
    case kill
}

/// How the shell's disk failed.
public enum DiskFailure: Sendable, Equatable {
    /// No space left: the appends since the last `logSynced` are not durable.
    case full
    /// An I/O error on write or sync.
    case ioError
}

/// What a node tells its shell to do, in order. Order is binding: a `persistIncarnation` must be
/// durable before any later directive is carried out, and a `reply` that follows a `sync` goes out
/// only after the core has heard `logSynced` (the core itself waits for it before emitting such replies).
public enum Directive: Sendable, Equatable {
    /// Send one datagram (already framed and tagged).
    case send(Bytes, to: Address)
    /// Call `timerFired(id)` at `at`. Nothing is ever cancelled: a superseded timer is ignored.
    case setTimer(TimerID, at: Instant)
    /// Connect a new stream to `to`. Bytes written before it connects are sent once it does; the
    /// outcome arrives as `streamData`, `streamClosed` or `streamFailed` inputs.
    case openStream(StreamID, to: Address)
    /// Queue bytes (already framed and authenticated by the core) on a stream.
    case writeStream(StreamID, Bytes)
    /// Close a stream once every byte queued on it is written. The core forgets it at once.
    case closeStream(StreamID)
    /// Write the incarnation to stable storage (write and fsync) before carrying out what follows.
    case persistIncarnation(UInt64)
    /// Append a record to the write-ahead log (buffered; durable only after a `sync`).
    case append(LogRecord)
    /// Make every appended record durable, then report `logSynced(upTo:)`.
    case sync
    /// Replace every record appended before this directive with these (a snapshot; see
    /// `LogSnapshotHeader`), durably, then report `logCompacted(upTo:)`. Appends after it follow.
    case compactLog([LogRecord])
    /// Start an agent run for a locally configured profile; report `agentExited` when it ends.
    case startAgent(AgentRun)
    /// Signal an agent run's whole process group.
    case stopAgent(RunID, StopSignal)
    /// Hold every blob of `fetch.files` (fetched from its sources, fsynced, hash checked), then
    /// report `filesFetched` (issue 10 §2). The bytes never come back to the core.
    case fetchFiles(FileFetch)
    /// Answer a control request.
    case reply(to: RequestID, ControlReply)
    /// Something worth logging or measuring happened.
    case event(MeshEvent)
}

/// A request from the operator's side (HTTP API, CLI) that changes the node.
public enum ControlRequest: Sendable, Equatable {
    /// Leave the mesh gracefully.
    case leave
    /// Submit a task (a spec that passed `TaskSubmission.parse`): answered `taskAccepted` once the
    /// task is synced on its copies, or `taskRefused`.
    case submitTask(TaskSpec)
    /// One task with its history, from whichever members hold it: `task` or `taskNotFound`.
    case task(TaskID)
    /// Tasks across the mesh (every alive member is asked): `tasks`.
    case tasks(TaskFilter)
    /// Push-pull with each of these seeds now, on a running node; answered by `joinOutcome`
    /// once every exchange has ended (at most `ControlLimits.joinSeedsMax` seeds).
    case join([Address])
    /// Mark a dead member left everywhere: a `left` on its behalf at its current incarnation,
    /// gossiped, so every member forgets it after the retention period. Refused for a live member.
    case forceLeave(String)
    /// Change the keyring at once (install, use or remove a key): the core owns it.
    case keys(KeyChange)
    /// The round trip member `via` measures to member `to`: this node's own table when `via` is
    /// this node, else asked of `via` over a stream. Answered by `roundTrip`.
    case roundTrip(via: String, to: String)
    /// Cancel a task from any node (forwarded to its owner): `taskCancelled` once `cancelled` is
    /// synced on its copies (a running attempt stopped first), `taskFinished` when it had already
    /// ended, `taskNotFound`, `taskCancelling` when the owner is still stopping the attempt at
    /// the request's time limit (a long grace), or `refused` (the owner cannot be reached now).
    case cancelTask(TaskID)
}

/// The answer to a control request.
public enum ControlReply: Sendable, Equatable {
    /// Done, or started (a leave is under way).
    case accepted
    /// Refused, with a reason for the operator.
    case refused(String)
    /// A submitted task is accepted (or was already: same idempotency key).
    case taskAccepted(TaskAcceptance)
    /// A submission was refused; the case says whether the client or the mesh is the cause.
    case taskRefused(TaskRefusal)
    /// The newest copy of a task any member that answered holds.
    case task(TaskRecord)
    /// No member that answered holds this task (`membersAnswered` of `membersAsked`).
    case taskNotFound(TaskID, membersAsked: Int, membersAnswered: Int)
    /// A listing of tasks across the mesh.
    case tasks(TaskListing)
    /// How a `join` went, one entry per seed in the order asked.
    case joinOutcome([JoinAttempt])
    /// The round trip asked for by `roundTrip`.
    case roundTrip(RoundTripAnswer)
    /// The task is cancelled (its record, terminal, as its owner committed it).
    case taskCancelled(TaskRecord)
    /// The task had already ended (its record): nothing was changed.
    case taskFinished(TaskRecord)
    /// The owner is stopping the task's attempt for a cancel, and `cancelled` was not recorded
    /// within the request's time (a long grace): it follows within `stopWithin` of the answer.
    case taskCancelling(TaskRecord, stopWithin: Nanoseconds)
}

/// One seed of an operator's `join`: `failure` is nil when the push-pull with it was merged.
public struct JoinAttempt: Sendable, Equatable {
    /// The address asked to join through.
    public var seed: Address
    /// Why the exchange with this seed did not join, for the operator; nil when it did.
    public var failure: String?
    public init(seed: Address, failure: String?) { self.seed = seed; self.failure = failure }
}

/// Bounds on operator requests.
public enum ControlLimits {
    /// Seeds one `join` request may name: each opens a stream.
    public static let joinSeedsMax = 16
    /// Operator joins waiting for their exchanges at once; past it a join is refused.
    public static let joinsInFlightMax = 8
    /// `roundTrip` questions to other members waiting for their answers at once.
    public static let roundTripQueriesMax = 8
}

/// Everything that can happen to a node. `NodeInstance.handle(_:at:)` takes one at a time, with
/// the moment it happened.
public enum Input: Sendable, Equatable {
    /// Start the node (once, first).
    case start
    /// A datagram arrived.
    case datagram(Bytes, from: Address)
    /// A timer armed by `setTimer` fired.
    case timer(TimerID)
    /// A peer connected: a new inbound stream, numbered by the shell.
    case streamAccepted(StreamID, from: Address)
    /// Bytes arrived on a stream (any split: the core reassembles frames).
    case streamData(StreamID, Bytes)
    /// The peer closed its side of a stream.
    case streamClosed(StreamID)
    /// A stream could not connect, or broke (refused, reset, unreachable).
    case streamFailed(StreamID)
    /// A stream's connection was never made (refused, unreachable): nothing written on it left
    /// this node. The shell says so when it knows it; `streamFailed` is always a safe answer.
    case streamNotConnected(StreamID)
    /// Every appended record up to `upTo` (a count of records) is durable.
    case logSynced(upTo: LogPosition)
    /// A `compactLog` is durable: records `0..<upTo` are replaced by its snapshot, and every one
    /// of them is as durable as after `logSynced(upTo:)`.
    case logCompacted(upTo: LogPosition)
    /// The disk failed; records since the last `logSynced` are not durable.
    case diskFailed(DiskFailure)
    /// An agent run ended, with what it left in `artifacts/`.
    case agentExited(RunID, AgentExit, AgentOutputs = AgentOutputs())
    /// A `fetchFiles` ended: the shell holds every blob (`failure == nil`), or says why not.
    case filesFetched(UInt64, failure: String?)
    /// A control request, numbered by the shell.
    case control(RequestID, ControlRequest)
    /// Leave the mesh gracefully (a signal or the parent going away).
    case leave
    /// A new measurement of the machine's load (the shell sends one every second): it becomes a new
    /// version of the capacity record only when it changed something, and no sooner than the rate
    /// limit allows.
    case localLoad(LocalLoad)
}
