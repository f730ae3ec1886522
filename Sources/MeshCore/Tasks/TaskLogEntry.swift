/// What the task layer writes to the write-ahead log (and sends to replicas): deltas, never the
/// whole record again. A record's first entry is `created`; every transition after it is one
/// `progressed` that sets the changed fields and adds at most one event. Replaying the entries of a
/// task in order through `replay` rebuilds the record exactly, whatever version of the transition
/// rules wrote them.
public enum TaskLogEntry: Equatable, Sendable {
    /// A task was accepted: its id, spec, progress and first event(s) (at most
    /// `createdEventsMax`, so the entry fits one log record).
    case created(TaskRecord)
    /// A task changed: its new progress, and the event the change added (nil for a change with no
    /// event, such as a new copy count or owner).
    case progressed(TaskID, TaskProgress, TaskEvent?)

    /// The log record kind of `created` (task layer kinds are 0x20…0x2F; append-only).
    public static let createdKind: UInt8 = 0x20
    /// The log record kind of `progressed`.
    public static let progressedKind: UInt8 = 0x21
    /// Events a `created` entry carries: enough for the accepted one, and small enough that the
    /// largest spec plus these fit `LogRecordFormat.recordBytesMax`.
    public static let createdEventsMax = 4

    /// The log record for this entry.
    public var logRecord: LogRecord {
        var w = ByteWriter(capacity: 256)
        switch self {
        case .created(let record):
            precondition(record.history.count <= Self.createdEventsMax, "created entry with \(record.history.count) events")
            return LogRecord(kind: Self.createdKind, body: TaskCodec.encode(record))
        case .progressed(let id, let progress, let event):
            w.u8(TaskCodec.version)
            w.raw(id.bytes)
            TaskCodec.write(progress, to: &w)
            w.u8(event == nil ? 0 : 1)
            if let event { TaskCodec.write(event, to: &w) }
            return LogRecord(kind: Self.progressedKind, body: w.bytes)
        }
    }

    /// The entry a task log record holds; nil for a record of another layer's kind. Throws for a
    /// task record that does not decode (hostile or damaged: count it, drop it).
    public init?(_ record: LogRecord) throws(DecodeError) {
        switch record.kind {
        case Self.createdKind:
            let task = try TaskCodec.decodeRecord(record.body)
            guard task.history.count <= Self.createdEventsMax else { throw .oversized }
            self = .created(task)
        case Self.progressedKind:
            var r = ByteReader(record.body)
            guard try r.u8() == TaskCodec.version else { throw .malformed }
            let id = try TaskCodec.readID(&r)
            let progress = try TaskCodec.readProgress(&r)
            var event: TaskEvent?
            switch try r.u8() {
            case 0: break
            case 1: event = try TaskCodec.readEvent(&r)
            default: throw .malformed
            }
            guard r.isAtEnd else { throw .malformed }
            self = .progressed(id, progress, event)
        default:
            return nil
        }
    }

    /// The entries that rebuild `record` from nothing: a `created` with its first event, then one
    /// `progressed` per later event, and a last one that sets the final progress. Used to write a
    /// snapshot and to copy a task to a new replica.
    public static func entries(rebuilding record: TaskRecord) -> [TaskLogEntry] {
        var first = record
        first.history = Array(record.history.prefix(1))
        var entries: [TaskLogEntry] = [.created(first)]
        for event in record.history.dropFirst() { entries.append(.progressed(record.id, record.progress, event)) }
        entries.append(.progressed(record.id, record.progress, nil))
        return entries
    }

    /// True when one `created` entry can hold all of `record` (a task just accepted and queued):
    /// at most `createdEventsMax` events, none carrying artifacts.
    public static func fitsOneCreated(_ record: TaskRecord) -> Bool {
        record.history.count <= createdEventsMax && record.history.allSatisfy(\.artifacts.isEmpty)
    }

    /// Applies this entry to `tasks` (keyed by id). A `progressed` for an unknown task is ignored
    /// and reported (false); a `created` for a known task replaces it.
    @discardableResult
    public func replay(into tasks: inout [TaskID: TaskRecord]) -> Bool {
        switch self {
        case .created(let record):
            tasks[record.id] = record
            return true
        case .progressed(let id, let progress, let event):
            guard var record = tasks[id] else { return false }
            record.progress = progress
            if let event {
                if record.history.count >= TaskLimits.historyEventsMax { record.history.remove(at: 1) }
                record.history.append(event)
            }
            tasks[id] = record
            return true
        }
    }
}
