import Dispatch
import MeshCore

/// The live task feed behind `GET /v1/tasks/events` (Server-Sent Events), served by every node for
/// the whole mesh: while at least one stream is open, the node lists the mesh's tasks every
/// `pollInterval` (the same fan-out as `GET /v1/tasks`) and pushes every task that is new or
/// changed. With no stream open it asks nothing.
///
/// What a client receives: first a snapshot (`event: task` for every task the feed knows, oldest
/// change first, then `event: synced` with `{"tasks": N}`), then one `event: task` per change.
/// `id:` is this node's event counter; a client that reconnects gets a fresh snapshot (nothing is
/// missed, some tasks are sent again), so `Last-Event-ID` is accepted and not needed.
struct TaskFeed {
    /// How often the mesh is listed while a stream is open: a change shows within this (plus the
    /// listing's own time).
    static let pollInterval: Nanoseconds = .seconds(1)
    /// Tasks the feed remembers (to tell a change from a repeat); past it the least recently
    /// changed are forgotten. Twice what one listing can return.
    static let tasksMax = 2 * TaskFilter.listedTasksMax

    /// One open stream and what it asked for.
    struct Subscriber {
        var id: UInt64
        var stream: EventStream
        /// Only this task's changes (`?task=ID`), or every task.
        var task: TaskID?
        /// True once its snapshot is complete (`synced` sent).
        var isSynced: Bool
    }

    var subscribers: [Subscriber] = []
    var nextSubscriber: UInt64 = 0
    /// The newest summary seen of each task.
    var known: [TaskID: TaskSummary] = [:]
    /// Task events pushed so far, to every stream (the last `id:` sent).
    var sequence: UInt64 = 0
    /// True while a listing is in flight or scheduled.
    var isPolling = false
    /// True once a listing has answered since the first subscriber came.
    var hasListed = false
}

extension NodeShell {
    /// `GET /v1/tasks/events[?task=ID]`: answers and returns true; false for another path.
    func handleTaskEvents(_ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void) -> Bool {
        guard request.path == "/v1/tasks/events" else { return false }
        guard request.method == "GET" else {
            respond(methodNotAllowed(request, allow: "GET"))
            return true
        }
        var task: TaskID?
        for (name, value) in ControlBody.query(request.query) {
            guard name == "task", let id = TaskID(value) else {
                respond(.error(400, "'\(name.prefix(64))' is not a query parameter here (known: task=ID, 32 hex digits)",
                               code: "bad_field", details: [("field", .string(String(name.prefix(64))))]))
                return true
            }
            task = id
        }
        respond(.eventStream { [self] stream in subscribe(stream, task: task) })
        return true
    }

    private func subscribe(_ stream: EventStream, task: TaskID?) {
        taskFeed.nextSubscriber &+= 1
        let id = taskFeed.nextSubscriber
        let subscriber = TaskFeed.Subscriber(id: id, stream: stream, task: task, isSynced: false)
        stream.onClose = { [self] in
            taskFeed.subscribers.removeAll { $0.id == id }
            if taskFeed.subscribers.isEmpty { taskFeed.known.removeAll(); taskFeed.hasListed = false }
        }
        if taskFeed.hasListed {
            let snapshot = taskFeed.known.values.sorted { ($0.updatedAt, $0.id) < ($1.updatedAt, $1.id) }
            for summary in snapshot where task == nil || summary.id == task { push(summary, to: stream) }
        }
        guard stream.isOpen else { return }   // cut off already (its reader lags)
        taskFeed.subscribers.append(subscriber)
        if taskFeed.hasListed { synced(subscriber) }
        if !taskFeed.isPolling { pollTaskFeed() }
    }

    /// Lists the mesh's tasks and pushes what changed; again after `pollInterval` while anyone listens.
    private func pollTaskFeed() {
        guard !taskFeed.subscribers.isEmpty, exitStatus == nil else {
            taskFeed.isPolling = false
            return
        }
        taskFeed.isPolling = true
        control(.tasks(TaskFilter())) { [self] reply in
            if case .tasks(let listing) = reply { feedListed(listing.tasks) }
            queue.asyncAfter(deadline: .now() + .nanoseconds(Int(TaskFeed.pollInterval))) { [self] in pollTaskFeed() }
        }
    }

    private func feedListed(_ summaries: [TaskSummary]) {
        var changed: [TaskSummary] = []
        for summary in summaries {
            if let held = taskFeed.known[summary.id], !summary.isNewer(than: held) { continue }
            taskFeed.known[summary.id] = summary
            changed.append(summary)
        }
        if taskFeed.known.count > TaskFeed.tasksMax {
            let oldest = taskFeed.known.values.sorted { ($0.updatedAt, $0.id) < ($1.updatedAt, $1.id) }
            for summary in oldest.prefix(taskFeed.known.count - TaskFeed.tasksMax) { taskFeed.known.removeValue(forKey: summary.id) }
        }
        changed.sort { ($0.updatedAt, $0.id) < ($1.updatedAt, $1.id) }
        taskFeed.hasListed = true
        // A copy: a stream whose reader lags is closed by `send`, and leaves the list at once.
        for subscriber in taskFeed.subscribers {
            for summary in changed where subscriber.task == nil || summary.id == subscriber.task {
                push(summary, to: subscriber.stream)
            }
            if !subscriber.isSynced { synced(subscriber) }
        }
    }

    private func push(_ summary: TaskSummary, to stream: EventStream) {
        taskFeed.sequence &+= 1
        stream.send(event: "task", id: String(taskFeed.sequence), data: summary.json.serialized())
    }

    /// Ends `subscriber`'s snapshot: `event: synced` with the number of tasks it holds.
    private func synced(_ subscriber: TaskFeed.Subscriber) {
        let count = taskFeed.known.values.count { subscriber.task == nil || $0.id == subscriber.task }
        if let index = taskFeed.subscribers.firstIndex(where: { $0.id == subscriber.id }) {
            taskFeed.subscribers[index].isSynced = true
        }
        subscriber.stream.send(event: "synced", data: JSONValue.object([("tasks", .integer(Int64(count)))]).serialized())
    }
}
