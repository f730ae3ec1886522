/// Where a task is in its life (ARCHITECTURE §7). The raw values are the API's strings, exactly.
///
/// Legal transitions (enforced by `TaskRecord.apply`):
/// ```
/// accepted → queued → running → succeeded | failed | timed_out
///                        ↘ retrying → running            (a failure with attempts left, a lost attempt)
/// any non-terminal state → cancelled
/// ```
/// Terminal states (`succeeded`, `failed`, `timed_out`, `cancelled`) are final.
public enum TaskState: String, CaseIterable, Sendable, Comparable {
    case accepted, queued, running, retrying, succeeded, failed
    case timedOut = "timed_out"
    case cancelled

    /// True for the four states a task never leaves.
    public var isTerminal: Bool {
        switch self {
        case .succeeded, .failed, .timedOut, .cancelled: true
        case .accepted, .queued, .running, .retrying: false
        }
    }

    /// The state's number in the binary encoding (append-only).
    var code: UInt8 {
        switch self {
        case .accepted: 1
        case .queued: 2
        case .running: 3
        case .retrying: 4
        case .succeeded: 5
        case .failed: 6
        case .timedOut: 7
        case .cancelled: 8
        }
    }

    init?(code: UInt8) {
        guard let state = Self.allCases.first(where: { $0.code == code }) else { return nil }
        self = state
    }

    public static func < (lhs: TaskState, rhs: TaskState) -> Bool { lhs.code < rhs.code }
}

/// The state an event records: a task state, or `stale` (a result from a fenced-off attempt, which
/// changed nothing).
public enum TaskEventState: Equatable, Sendable, CustomStringConvertible {
    case task(TaskState)
    case stale

    /// The API string: a state's raw value, or `stale`.
    public var description: String {
        switch self {
        case .task(let state): state.rawValue
        case .stale: "stale"
        }
    }

    /// Parses the API string.
    public init?(_ text: String) {
        if text == "stale" { self = .stale } else if let state = TaskState(rawValue: text) { self = .task(state) } else { return nil }
    }

    var code: UInt8 { if case .task(let state) = self { state.code } else { 0x7F } }

    init?(code: UInt8) {
        if code == 0x7F { self = .stale } else if let state = TaskState(code: code) { self = .task(state) } else { return nil }
    }
}

/// One line of a task's history (its audit trail): `{"state", "attempt", "node", "at", "reason"}`.
public struct TaskEvent: Equatable, Sendable {
    /// The state entered (or `stale`).
    public var state: TaskEventState
    /// The attempt it concerns (0 before the first run).
    public var attempt: UInt32
    /// The node that recorded it.
    public var node: String
    /// Wall-clock time, milliseconds since the Unix epoch: the `Moment.wallMilliseconds` of the
    /// input that caused it (the core has no clock). Printed with `WallClock.rfc3339`.
    public var at: Int64
    /// Why, for a person (an exit code, "owner changed"); ≤ `TaskLimits.reasonBytesMax` bytes.
    public var reason: String
    /// The files the attempt left in `artifacts/` (name, size, SHA-256), on the event that ended
    /// it; empty on every other event. At most `TaskLimits.artifactsRecordedMax`.
    public var artifacts: [TaskFile]

    /// An event; a longer reason is cut at a character boundary to `reasonBytesMax` bytes, and
    /// artifacts past `artifactsRecordedMax` are left out.
    public init(state: TaskEventState, attempt: UInt32, node: String, at: Int64, reason: String = "", artifacts: [TaskFile] = []) {
        self.state = state; self.attempt = attempt; self.node = node; self.at = at
        self.reason = Self.cut(reason, to: TaskLimits.reasonBytesMax)
        self.artifacts = Array(artifacts.prefix(TaskLimits.artifactsRecordedMax))
    }

    /// The event as the API prints it (`"artifacts"` only when there are some).
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("state", .string(state.description)), ("attempt", .integer(Int64(attempt))),
            ("node", .string(node)), ("at", .string(WallClock.rfc3339(milliseconds: at))), ("reason", .string(reason))]
        if !artifacts.isEmpty { members.append(("artifacts", .array(artifacts.map(\.json)))) }
        return .object(members)
    }

    /// `text` cut to at most `bytes` UTF-8 bytes without splitting a character.
    static func cut(_ text: String, to bytes: Int) -> String {
        guard text.utf8.count > bytes else { return text }
        var result = ""
        var count = 0
        for character in text {
            let size = character.utf8.count
            if count + size > bytes { break }
            result.append(character)
            count += size
        }
        return result
    }
}
