import Dispatch
import MeshCore

/// The A2A edge (issue 13 item 2), served by every node:
///
/// - `GET /.well-known/agent-card.json` — the card (`A2ACard`).
/// - `POST /a2a` — A2A 1.0 JSON-RPC (`A2ACall`): `SendMessage`, `SendStreamingMessage`, `GetTask`,
///   `ListTasks`, `CancelTask`, `SubscribeToTask`. Errors are JSON-RPC errors in a `200` answer,
///   as the binding prescribes; the control API's Host/Origin/Content-Type rules apply first, so a
///   browser's cross-site request is refused 403 before it is read.
///
/// The A2A task id is the mesh task id, so a task sent through one node is read, streamed and
/// cancelled through any other.
extension NodeShell {
    /// Answers an A2A route and returns true; false when `request` is for another path.
    func handleA2ARoute(_ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void) -> Bool {
        switch request.path {
        case A2AProtocol.cardPath:
            guard request.method == "GET" else { respond(Self.methodNotAllowed(request, allow: "GET")); return true }
            respond(.json(a2aCard().json(origin: a2aOrigin(request), requiresToken: options.httpToken != nil)))
        case A2AProtocol.endpointPath:
            guard request.method == "POST" else { respond(Self.methodNotAllowed(request, allow: "POST")); return true }
            a2aCounters.calls &+= 1
            switch A2ACall.parse(request.body, versionHeader: request.headers[A2AProtocol.versionHeader]) {
            case .failure(let refusal):
                a2aCounters.refused(refusal.error)
                respond(Self.a2aAnswer(refusal.id, error: refusal.error))
            case .success(let call):
                answerA2A(call, view: A2ATaskView(origin: a2aOrigin(request))) { [self] response in
                    if response.streamingAnswer != nil || response.eventStream != nil { a2aCounters.streamsOpened &+= 1 }
                    respond(response)
                }
            }
        default:
            return false
        }
        return true
    }

    /// The card as this node sees the mesh now: profiles of every member not down.
    func a2aCard() -> A2ACard {
        A2ACard(node: core.name, records: core.capacity.entriesInOrder.filter { !$0.isMemberDown }.map(\.record))
    }

    /// `http://` + the `Host` the client used (the policy has accepted it as this node's own).
    func a2aOrigin(_ request: HTTPRequest) -> String {
        "http://" + (request.headers["host"] ?? control?.endpoint.description ?? options.name)
    }

    private func answerA2A(_ call: A2ACall, view: A2ATaskView, respond: @escaping (HTTPResponse) -> Void) {
        switch call.method {
        case .send(let message, let isStreaming):
            sendA2A(message, isStreaming: isStreaming, call: call, view: view, respond: respond)
        case .getTask(let id, let historyLength):
            askCore(.task(id)) { reply in
                switch reply {
                case .task(let record): respond(Self.a2aAnswer(call.id, result: view.task(record, historyLength: historyLength)))
                case .taskNotFound: respond(Self.a2aAnswer(call.id, error: .taskNotFound(id.description)))
                default: respond(Self.a2aAnswer(call.id, error: Self.a2aUnexpected(reply)))
                }
            }
        case .listTasks(let state, let pageSize):
            listA2A(state: state, pageSize: pageSize, call: call, respond: respond)
        case .cancelTask(let id):
            cancelA2A(id, call: call, view: view, respond: respond)
        case .subscribe(let id):
            subscribeA2A(id, call: call, view: view, respond: respond)
        }
    }

    /// `ListTasks`: one page of the mesh's listing, newest first.
    private func listA2A(state: A2ATaskState?, pageSize: Int, call: A2ACall, respond: @escaping (HTTPResponse) -> Void) {
        askCore(.tasks(TaskFilter())) { reply in
            guard case .tasks(let listing) = reply else { return respond(Self.a2aAnswer(call.id, error: Self.a2aUnexpected(reply))) }
            let tasks = listing.tasks.filter { state == nil || A2ATaskState($0.state) == state }.prefix(pageSize)
            let result: JSONValue = .object([("tasks", .array(tasks.map(Self.a2aListed))), ("nextPageToken", .string("")),
                                             ("pageSize", .integer(Int64(pageSize))), ("totalSize", .integer(Int64(tasks.count)))])
            respond(Self.a2aAnswer(call.id, result: result))
        }
    }

    /// `SubscribeToTask`: the stream of a task that is not over, its current state first.
    private func subscribeA2A(_ id: TaskID, call: A2ACall, view: A2ATaskView, respond: @escaping (HTTPResponse) -> Void) {
        askCore(.task(id)) { [self] reply in
            switch reply {
            case .task(let record) where A2ATaskState(record.state).isTerminal:
                respond(Self.a2aAnswer(call.id, error: .unsupported("task \(id) is over (\(record.state.rawValue)): "
                                                                    + "nothing to subscribe to; GetTask reads it")))
            case .task(let record):
                respond(a2aStream(id, call: call, progress: A2AStreamProgress(view: view), first: record))
            case .taskNotFound: respond(Self.a2aAnswer(call.id, error: .taskNotFound(id.description)))
            default: respond(Self.a2aAnswer(call.id, error: Self.a2aUnexpected(reply)))
            }
        }
    }

    /// A message becomes a task of the profile its skill names (else the card's default); the
    /// answer is a stream, the task once accepted (`returnImmediately`), or the task at its end.
    private func sendA2A(_ message: A2AMessage, isStreaming: Bool, call: A2ACall, view: A2ATaskView,
                         respond: @escaping (HTTPResponse) -> Void) {
        let card = a2aCard()
        guard let profile = message.skill ?? card.defaultSkill else {
            return respond(Self.a2aAnswer(call.id, error: .invalidParams("no member of the mesh advertises a profile yet")))
        }
        guard card.skills.contains(where: { $0.id == profile }) else {
            let known = card.skills.map(\.id).joined(separator: ", ")
            return respond(Self.a2aAnswer(call.id, error: .invalidParams("metadata.skill '\(A2AProtocol.cut(profile, to: 64))' "
                                                                         + "is not a skill of this mesh (skills: \(known))")))
        }
        let spec = TaskSpec(profile: profile, prompt: message.prompt, idempotencyKey: message.idempotencyKey)
        if let problem = spec.validationError() { return respond(Self.a2aAnswer(call.id, error: .invalidParams(problem.description))) }
        guard !message.files.isEmpty else {
            return submitA2A(spec, message: message, isStreaming: isStreaming, call: call, view: view, respond: respond)
        }
        storeA2AFiles(message.files) { [self] result in
            switch result {
            case .failure(let error): respond(Self.a2aAnswer(call.id, error: error))
            case .success(let files):
                var spec = spec
                spec.attachments = files
                if let problem = spec.validationError() { return respond(Self.a2aAnswer(call.id, error: .invalidParams(problem.description))) }
                submitA2A(spec, message: message, isStreaming: isStreaming, call: call, view: view, respond: respond)
            }
        }
    }

    /// Submits `spec`; answers with a stream, the task, or the task `rejected` when the mesh refuses it.
    private func submitA2A(_ spec: TaskSpec, message: A2AMessage, isStreaming: Bool, call: A2ACall, view: A2ATaskView,
                           respond: @escaping (HTTPResponse) -> Void) {
        askCore(.submitTask(spec)) { [self] reply in
            switch reply {
            case .taskAccepted(let acceptance) where isStreaming:
                let accepted = acceptance.state == .accepted ? TaskRecord(
                    id: acceptance.id, spec: spec, owner: "", ownerEpoch: 0, copies: acceptance.copies,
                    at: SystemClock.wallMilliseconds()) : nil
                respond(a2aStream(acceptance.id, call: call, progress: A2AStreamProgress(view: view), first: accepted,
                                  isAccepted: accepted != nil))
            case .taskAccepted(let acceptance):
                respond(a2aWaiting(acceptance.id, call: call, view: view, untilOver: !message.returnsImmediately,
                                   historyLength: message.historyLength))
            case .taskRefused(let refusal):
                let task = view.rejected(message.taskID, reason: refusal.description, at: SystemClock.wallMilliseconds())
                respond(Self.a2aAnswer(call.id, result: .object([("task", task)])))
            case .refused(let reason):
                let task = view.rejected(message.taskID, reason: reason, at: SystemClock.wallMilliseconds())
                respond(Self.a2aAnswer(call.id, result: .object([("task", task)])))
            default:
                respond(Self.a2aAnswer(call.id, error: Self.a2aUnexpected(reply)))
            }
        }
    }

    /// Hands `request` to the core; `done` gets its reply, or `.refused` when none came within
    /// `taskRequestDeadline` (a late reply is then dropped).
    func askCore(_ request: ControlRequest, _ done: @escaping (ControlReply) -> Void) {
        guard let id = control(request, respond: done) else { return }
        queue.asyncAfter(deadline: .now() + .nanoseconds(Int(Self.taskRequestDeadline))) { [self] in
            pendingReplies.removeValue(forKey: id)?(.refused("no answer from the mesh within "
                                                              + "\(Self.taskRequestDeadline / 1_000_000_000)s"))
        }
    }

    /// A JSON-RPC success answer.
    static func a2aAnswer(_ id: JSONValue, result: JSONValue) -> HTTPResponse {
        a2aJSON(.object([("jsonrpc", .string("2.0")), ("id", id), ("result", result)]))
    }

    /// A JSON-RPC error answer (HTTP 200, as the binding and the SDK's own server answer errors).
    static func a2aAnswer(_ id: JSONValue, error: A2AError) -> HTTPResponse {
        a2aJSON(.object([("jsonrpc", .string("2.0")), ("id", id), ("error", error.json)]))
    }

    static func a2aJSON(_ value: JSONValue) -> HTTPResponse {
        var response = HTTPResponse.json(value)
        response.headers.append(("A2A-Version", A2AProtocol.version))
        return response
    }

    static func a2aUnexpected(_ reply: ControlReply) -> A2AError {
        if case .refused(let reason) = reply { return .internalError("the mesh did not answer: \(reason)") }
        return .internalError("unexpected reply from the node: \(reply)")
    }

    /// A listed task: id, state and mesh facts (no history: a listing holds none).
    static func a2aListed(_ summary: TaskSummary) -> JSONValue {
        let id = JSONValue.string(summary.id.description)
        let status: JSONValue = .object([("state", .string(A2ATaskState(summary.state).rawValue)),
                                         ("timestamp", .string(WallClock.rfc3339(milliseconds: summary.updatedAt)))])
        let metadata: JSONValue = .object([("meshState", .string(summary.state.rawValue)), ("profile", .string(summary.profile)),
                                           ("owner", .string(summary.owner)), ("attempt", .integer(Int64(summary.attempt)))])
        return .object([("id", id), ("contextId", id), ("status", status), ("metadata", metadata)])
    }
}
