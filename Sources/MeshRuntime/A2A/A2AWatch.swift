import Dispatch
import MeshCore

/// Where a watch writes: a Server-Sent Events stream, or a JSON answer that waits.
protocol A2AOutput: AnyObject {
    /// True until the output has ended.
    var isOpen: Bool { get }
    /// Writes one JSON-RPC response: an SSE event, or the JSON answer itself.
    func send(_ response: JSONValue)
    /// Writes what keeps a silent client's read timeout from firing.
    func keepAlive()
    /// Ends the output (the client sees the end of the body).
    func finish()
    /// `action` runs once when the output ends, whichever side ends it.
    func whenEnded(_ action: @escaping () -> Void)
}

/// Follows one task for an open output: reads it from the mesh every `A2ALimits.pollInterval`
/// (one reading at a time), hands each reading to `onRecord`, and keeps the output alive when
/// nothing was written for `A2ALimits.keepAliveInterval`. Stops when the output ends. Confined to
/// the node's queue.
final class A2AWatch: @unchecked Sendable {
    private let output: A2AOutput
    private let task: TaskID
    private let read: (TaskID, @escaping (ControlReply) -> Void) -> Void
    /// Gets each reading; writes through the watch (and may finish the output).
    var onRecord: ((TaskRecord) -> Void)?
    /// Called on each tick with the time since the watch began, before the reading.
    var onTick: ((Nanoseconds) -> Void)?
    private var timer: DispatchSourceTimer?
    private var isReading = false
    private let startedAt = SystemClock.now()
    private var lastWriteAt = SystemClock.now()

    /// A watch of `task` for `output`, reading through `read` (the node's query).
    init(output: A2AOutput, task: TaskID, read: @escaping (TaskID, @escaping (ControlReply) -> Void) -> Void) {
        self.output = output; self.task = task; self.read = read
    }

    /// True until the output has ended.
    var isOpen: Bool { output.isOpen }

    /// Starts ticking on `queue` (the first reading at once); ends with the output.
    func start(on queue: DispatchQueue) {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now(), repeating: .nanoseconds(Int(A2ALimits.pollInterval)), leeway: .milliseconds(20))
        timer.setEventHandler { [self] in tick() }
        self.timer = timer
        output.whenEnded { [self] in stop() }
        timer.resume()
    }

    /// Writes one JSON-RPC response, noting the time (keep-alives wait on it).
    func send(_ response: JSONValue) {
        output.send(response)
        lastWriteAt = SystemClock.now()
    }

    /// Ends the output.
    func finish() { output.finish() }

    private func tick() {
        guard output.isOpen else { return stop() }
        let now = SystemClock.now()
        onTick?(now - startedAt)
        guard output.isOpen else { return }
        if now - lastWriteAt >= A2ALimits.keepAliveInterval {
            output.keepAlive()
            lastWriteAt = now
        }
        guard !isReading else { return }
        isReading = true
        read(task) { [self] reply in
            isReading = false
            guard output.isOpen, case .task(let record) = reply else { return }
            onRecord?(record)
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
        var response = HTTPResponse.eventStream(keepAliveInterval: A2ALimits.keepAliveInterval) { [self] stream in
            let watch = A2AWatch(output: A2AEventOutput(stream), task: task) { [self] id, done in askCore(.task(id), done) }
            watch.onRecord = { record in
                for event in progress.events(after: record) { watch.send(A2AStreamProgress.response(event, id: call.id)) }
                if progress.isDone { watch.finish() }
            }
            if let first, isAccepted {
                watch.send(A2AStreamProgress.response(progress.accepted(first), id: call.id))
            } else if let first {
                watch.onRecord?(first)
            }
            if watch.isOpen { watch.start(on: queue) }
        }
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
            let watch = A2AWatch(output: A2AWaitingOutput(answer), task: task) { [self] id, done in askCore(.task(id), done) }
            func reply(_ record: TaskRecord) {
                let result: JSONValue = .object([("task", view.task(record, historyLength: historyLength))])
                watch.send(A2AStreamProgress.response(result, id: call.id))
                watch.finish()
            }
            watch.onRecord = { record in
                last = record
                if !untilOver || A2ATaskState(record.state).isTerminal { reply(record) }
            }
            watch.onTick = { elapsed in
                guard elapsed >= A2ALimits.blockingWaitMax else { return }
                if let last { reply(last) } else { watch.finish() }
            }
            watch.start(on: queue)
        }
        var response = HTTPResponse.streaming(contentType: "application/json", answer)
        response.headers.append(("A2A-Version", A2AProtocol.version))
        return response
    }

    /// `CancelTask`: the control API's cancel (`ControlRequest.cancelTask`, from any node), answered
    /// with the task as its owner committed it (still working when a long grace outlasted the
    /// request: `cancelled` follows); -32002 when it was already over.
    func cancelA2A(_ id: TaskID, call: A2ACall, view: A2ATaskView, respond: @escaping (HTTPResponse) -> Void) {
        askCore(.cancelTask(id)) { reply in
            switch reply {
            case .taskCancelled(let record), .taskCancelling(let record, _): respond(Self.a2aAnswer(call.id, result: view.task(record)))
            case .taskFinished(let record):
                respond(Self.a2aAnswer(call.id, error: .notCancelable("task \(id) is over (\(record.state.rawValue))")))
            case .taskNotFound: respond(Self.a2aAnswer(call.id, error: .taskNotFound(id.description)))
            default: respond(Self.a2aAnswer(call.id, error: Self.a2aUnexpected(reply)))
            }
        }
    }
}
