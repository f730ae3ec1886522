import Dispatch
import MeshCore

/// Follows one task for an open answer: reads it from the mesh every `A2ALimits.pollInterval`
/// (one reading at a time), hands each reading to `onRecord`, and sends `keepAlive` when nothing
/// was written for `A2ALimits.keepAliveInterval`. Stops when the answer ends, whichever side ends it.
/// Confined to the node's queue.
final class A2AWatch: @unchecked Sendable {
    private let answer: StreamingAnswer
    private let task: TaskID
    private let keepAlive: Bytes
    private let read: (TaskID, @escaping (ControlReply) -> Void) -> Void
    /// Gets each reading; writes through `answer` (and may finish it).
    var onRecord: ((TaskRecord, StreamingAnswer) -> Void)?
    /// Called on each tick with the time since the watch began, before the reading.
    var onTick: ((Nanoseconds, StreamingAnswer) -> Void)?
    private var timer: DispatchSourceTimer?
    private var isReading = false
    private let startedAt = SystemClock.now()
    private var lastWriteAt = SystemClock.now()

    /// A watch of `task` for `answer`, reading through `read` (the node's query).
    init(answer: StreamingAnswer, task: TaskID, keepAlive: Bytes, read: @escaping (TaskID, @escaping (ControlReply) -> Void) -> Void) {
        self.answer = answer; self.task = task; self.keepAlive = keepAlive; self.read = read
    }

    /// Starts ticking on `queue` (the first reading at once); ends with the answer.
    func start(on queue: DispatchQueue) {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now(), repeating: .nanoseconds(Int(A2ALimits.pollInterval)), leeway: .milliseconds(20))
        timer.setEventHandler { [self] in tick() }
        self.timer = timer
        answer.onEnd = { [self] in stop() }
        timer.resume()
    }

    /// Writes `bytes` through the answer, noting the time (keep-alives wait on it).
    func write(_ bytes: Bytes) {
        answer.send(bytes)
        lastWriteAt = SystemClock.now()
    }

    private func tick() {
        guard answer.isOpen else { return stop() }
        let now = SystemClock.now()
        onTick?(now - startedAt, answer)
        guard answer.isOpen else { return }
        if now - lastWriteAt >= A2ALimits.keepAliveInterval { write(keepAlive) }
        guard !isReading else { return }
        isReading = true
        read(task) { [self] reply in
            isReading = false
            guard answer.isOpen, case .task(let record) = reply else { return }
            onRecord?(record, answer)
        }
    }

    private func stop() {
        timer?.cancel()
        timer = nil
        onRecord = nil
        onTick = nil
    }
}

extension NodeShell {
    /// An SSE answer that streams `task` to its end. `first` is a reading already made, or the
    /// record as accepted (`isAccepted`), sent as the stream's first event.
    func a2aStream(_ task: TaskID, call: A2ACall, progress: A2AStreamProgress, first: TaskRecord?,
                   isAccepted: Bool = false) -> HTTPResponse {
        var progress = progress
        let answer = StreamingAnswer { [self] answer in
            let watch = A2AWatch(answer: answer, task: task, keepAlive: A2AStreamProgress.keepAlive) { [self] id, done in
                askCore(.task(id), done)
            }
            watch.onRecord = { record, answer in
                for event in progress.events(after: record) { watch.write(A2AStreamProgress.event(event, id: call.id)) }
                if progress.isDone { answer.finish() }
            }
            if let first, isAccepted {
                watch.write(A2AStreamProgress.event(progress.accepted(first), id: call.id))
            } else if let first {
                watch.onRecord?(first, answer)
            }
            if answer.isOpen { watch.start(on: queue) }
        }
        var response = HTTPResponse.streaming(contentType: "text/event-stream", answer)
        response.headers.append(("A2A-Version", A2AProtocol.version))
        return response
    }

    /// A JSON answer `{"task": …}` for a non-streaming `SendMessage`: at once (`untilOver` false),
    /// else when the task is over or after `A2ALimits.blockingWaitMax`, whichever comes first.
    /// While it waits it writes a space every `keepAliveInterval` (whitespace before JSON is
    /// still JSON), so a client's read timeout does not fire.
    func a2aWaiting(_ task: TaskID, call: A2ACall, view: A2ATaskView, untilOver: Bool, historyLength: Int?) -> HTTPResponse {
        var last: TaskRecord?
        let answer = StreamingAnswer { [self] answer in
            let watch = A2AWatch(answer: answer, task: task, keepAlive: [UInt8(ascii: " ")]) { [self] id, done in
                askCore(.task(id), done)
            }
            func reply(_ record: TaskRecord) {
                let result: JSONValue = .object([("task", view.task(record, historyLength: historyLength))])
                watch.write(Array(Self.a2aAnswer(call.id, result: result).body))
                answer.finish()
            }
            watch.onRecord = { record, _ in
                last = record
                if !untilOver || A2ATaskState(record.state).isTerminal { reply(record) }
            }
            watch.onTick = { elapsed, answer in
                guard elapsed >= A2ALimits.blockingWaitMax else { return }
                if let last { reply(last) } else { answer.finish() }
            }
            watch.start(on: queue)
        }
        var response = HTTPResponse.streaming(contentType: "application/json", answer)
        response.headers.append(("A2A-Version", A2AProtocol.version))
        return response
    }

    /// `CancelTask`: the cancel of the control API (`ControlRequest.cancelTask`), answered with the
    /// task as it stands after it. Until that is in this build, every task answers "not cancelable".
    func cancelA2A(_ id: TaskID, call: A2ACall, view: A2ATaskView, respond: @escaping (HTTPResponse) -> Void) {
        askCore(.task(id)) { reply in
            switch reply {
            case .task(let record) where A2ATaskState(record.state).isTerminal:
                respond(Self.a2aAnswer(call.id, error: .notCancelable("task \(id) is over (\(record.state.rawValue))")))
            case .task:
                respond(Self.a2aAnswer(call.id, error: .notCancelable("this node cannot cancel tasks yet (no cancel in this build)")))
            case .taskNotFound: respond(Self.a2aAnswer(call.id, error: .taskNotFound(id.description)))
            default: respond(Self.a2aAnswer(call.id, error: Self.a2aUnexpected(reply)))
            }
        }
    }
}
