import MeshCore

/// What a stream has told its client so far, and what the next reading of the task adds: pure, so
/// the sequence a client sees is tested as a table.
///
/// The sequence (A2A 1.0, JSON-RPC binding): the `Task` first; then a status update each time the
/// mesh state or the attempt changes (accepted → queued is `submitted` twice, a retry `working`
/// twice: each status message says what happened); at the end, an artifact update for every file of the last attempt, then the
/// terminal status update, and the stream closes.
public struct A2AStreamProgress: Sendable {
    /// The view the events are built with.
    public let view: A2ATaskView
    private var hasSentTask = false
    private var lastState: TaskState?
    private var lastAttempt: UInt32?
    /// True once the terminal status went out: nothing more follows.
    public private(set) var isDone = false

    /// A stream that has sent nothing.
    public init(view: A2ATaskView) { self.view = view }

    /// The first event of a stream that began with a submission the mesh accepted: the task as it
    /// was accepted (`submitted`), before any reading (a fast mesh may already run it by then).
    public mutating func accepted(_ record: TaskRecord) -> JSONValue {
        hasSentTask = true
        lastState = record.state
        lastAttempt = record.progress.attempt
        return .object([("task", view.task(record))])
    }

    /// The `StreamResponse` objects `record` adds, in order.
    public mutating func events(after record: TaskRecord) -> [JSONValue] {
        guard !isDone else { return [] }
        let state = A2ATaskState(record.state)
        var events: [JSONValue] = []
        if !hasSentTask {
            hasSentTask = true
            events.append(.object([("task", view.task(record))]))
            // A task already over at its first reading carries its artifacts and final status itself.
            if state.isTerminal { isDone = true }
        } else if record.state != lastState || record.progress.attempt != lastAttempt {
            if state.isTerminal {
                for file in A2ATaskView.artifacts(of: record) { events.append(view.artifactUpdate(file, task: record.id)) }
                isDone = true
            }
            events.append(view.statusUpdate(record))
        }
        lastState = record.state
        lastAttempt = record.progress.attempt
        return events
    }

    /// The JSON-RPC response carrying `result`.
    public static func response(_ result: JSONValue, id: JSONValue) -> JSONValue {
        .object([("jsonrpc", .string("2.0")), ("id", id), ("result", result)])
    }
}
