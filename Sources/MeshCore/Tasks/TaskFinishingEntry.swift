/// An owner's finish that does not count yet (kind 0x22, append-only): the progress and the
/// event(s) a terminal state adds to the task's committed record. The owner syncs it before it
/// stores the terminal record on the replica, so a node that restarts between the replica's
/// `stored` and its own commit resumes that very finish (the same events, on a new replica if its
/// replica is gone) instead of running the task again: the replica may hold the only other copy
/// of that terminal state, and two different terminal states would be a task finished twice.
///
/// It is not a task record: readers of `TaskLogEntry` (the simulator's checkers among them) do not
/// see it, and it changes no record until the finish is committed. An entry with no events says
/// the finish was given up (another copy fenced it off): recovery then resumes nothing.
public struct TaskFinishingEntry: Equatable, Sendable {
    /// The log record kind.
    public static let kind: UInt8 = 0x22
    /// Events one entry may carry: a terminal transition adds one.
    public static let eventsMax = 4

    public var id: TaskID
    /// The finishing record's progress (its terminal state and fence).
    public var progress: TaskProgress
    /// The events the finish adds to the committed record (none: the finish was given up).
    public var events: [TaskEvent]

    /// The entry for `finishing`, a terminal record made from `committed` by one transition.
    public init(finishing: TaskRecord, over committed: TaskRecord?) {
        id = finishing.id
        progress = finishing.progress
        let held = committed?.history ?? []
        events = Array(finishing.history.filter { !held.contains($0) }.suffix(Self.eventsMax))
    }

    /// The entry that gives up the pending finish of `id`.
    public init(givingUp id: TaskID, progress: TaskProgress) {
        self.id = id
        self.progress = progress
        events = []
    }

    /// As a log record.
    public var logRecord: LogRecord {
        var w = TaskCodec.entryWriter(id, capacity: 256)
        TaskCodec.write(progress, to: &w)
        w.u8(UInt8(events.count))
        for event in events { TaskCodec.write(event, to: &w) }
        return LogRecord(kind: Self.kind, body: w.bytes)
    }

    /// The entry a log record holds; nil for another kind. Throws for one that does not decode.
    public init?(_ record: LogRecord) throws(DecodeError) {
        guard case (let id, var r)? = try TaskCodec.entryReader(record, kind: Self.kind) else { return nil }
        self.id = id
        progress = try TaskCodec.readProgress(&r)
        let count = Int(try r.u8())
        guard count <= Self.eventsMax else { throw .oversized }
        events = []
        for _ in 0..<count { events.append(try TaskCodec.readEvent(&r)) }
        guard r.isAtEnd else { throw .malformed }
    }

    /// The finishing record this entry stands for over `committed`, or nil when there is nothing
    /// to resume: the finish was given up, or `committed` moved past it (terminal already, another
    /// epoch or owner: a takeover or an adopted copy decided the task since).
    public func resumed(over committed: TaskRecord) -> TaskRecord? {
        guard !events.isEmpty, progress.state.isTerminal, !committed.state.isTerminal,
              committed.progress.ownerEpoch == progress.ownerEpoch, committed.progress.owner == progress.owner else { return nil }
        var record = committed
        record.progress = progress
        for event in events where !record.history.contains(event) {
            if record.history.count >= TaskLimits.historyEventsMax { record.history.remove(at: 1) }
            record.history.append(event)
        }
        return record.state.isTerminal ? record : nil
    }
}
