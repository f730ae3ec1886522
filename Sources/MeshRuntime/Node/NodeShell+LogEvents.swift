import Dispatch
import Foundation
import MeshCore

/// The logs route as Server-Sent Events (issue 13 §1), when the request accepts
/// `text/event-stream`: events framed by `LogEventFramer` (ids are the cursor `A:N`), then
/// `event: end` once the log is drained (with `follow=1`: the attempt has ended) or at its end
/// (without). `Last-Event-ID: A:N` resumes exactly after byte N of attempt A. The events go out
/// as a chunked body written by a thread of its own (the data plane's read blocks its caller),
/// like the raw route; a failure mid-way cuts the stream short without `end`, so the client
/// reconnects with its last id.
extension NodeShell {
    /// How long the stream's end waits for the task's record (to report its state).
    static let logEventsStateWait = DispatchTimeInterval.seconds(5)

    /// True when the request asks for Server-Sent Events.
    static func wantsEvents(_ request: HTTPRequest) -> Bool {
        (request.headers["accept"] ?? "").lowercased().contains("text/event-stream")
    }

    /// `ask` moved to the request's `Last-Event-ID` cursor, if it has one; throws on a bad one.
    static func resumed(_ ask: LogAsk, _ request: HTTPRequest) throws(TaskFieldError) -> LogAsk {
        guard let text = request.headers["last-event-id"], !text.isEmpty else { return ask }
        guard let (attempt, offset) = LogEventFramer.cursor(text) else {
            throw TaskFieldError("Last-Event-ID", "must be a log cursor A:N (attempt:byte offset)")
        }
        var moved = ask
        moved.attempt = attempt
        moved.offset = offset
        return moved
    }

    /// Streams `request` (a log read) as events; the head carries `headers`.
    func relayEvents(_ request: DataRequest, task: TaskID, attempt: UInt32, from source: Address?, data: DataPlane,
                     respond: QueuedResponder, headers: [(String, String)]) {
        let shape = LogEventsRelay(headers: headers, framer: LogEventFramer(attempt: attempt, offset: 0)) { [self] in taskState(task) }
        relay(request, from: source, data: data, respond: respond, chunked: true, thread: "mesh.log-events", shape: shape)
    }

    /// The task's state from its newest record, waiting on this (non-queue) thread; nil if none comes.
    func taskState(_ id: TaskID) -> String? {
        let done = DispatchSemaphore(value: 0)
        let found = LockedBox<String?>(nil)
        queue.async { [self] in
            withRecord(id, respond: { _ in done.signal() }) { record in
                found.set(record.state.rawValue)
                done.signal()
            }
        }
        _ = done.wait(timeout: .now() + Self.logEventsStateWait)
        return found.get()
    }
}

/// A log read as events: a comment with the cursor first, then the framed log, then (once the log
/// is complete) the held-back bytes and `event: end` with the task's state from `state`.
struct LogEventsRelay: RelayShape {
    let headers: [(String, String)]
    var framer: LogEventFramer
    let state: @Sendable () -> String?

    mutating func head(_ value: UInt64) -> (headers: [(String, String)], opening: Bytes?) {
        framer = LogEventFramer(attempt: framer.attempt, offset: value)
        return (headers + [("X-Mesh-Log-Offset", String(value))], Array(": log \(framer.cursor)\n\n".utf8))
    }

    mutating func piece(_ bytes: Bytes) -> Bytes { framer.frame(bytes) }

    mutating func close(_ write: (Bytes) -> Void) {
        write(framer.flush())
        write(framer.end(state: state()))
    }
}

/// One value shared between threads under a lock.
final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func set(_ new: Value) { lock.lock(); value = new; lock.unlock() }
    func get() -> Value { lock.lock(); defer { lock.unlock() }; return value }
}
