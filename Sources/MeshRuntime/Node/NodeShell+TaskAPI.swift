import Dispatch
import MeshCore

/// The task routes of the control API (issue 9 §8), answered from any node:
///
/// - `POST /v1/tasks` — a `TaskSubmission` body: `201 {"id","state","copies"}` once the task is
///   synced on its copies (`200` with the same body for a resubmission with the same
///   idempotency key), `400 {"error": {"code","message","field"?}}` for a request to change, `503`
///   with the same shape when the mesh cannot take it now (busy, no eligible node, timeout).
/// - `GET /v1/tasks/{id}` — the newest copy of the task with its history, or `404`.
/// - `GET /v1/tasks?state=S&limit=L&after=CURSOR` — a page of the listing across the mesh
///   (newest created first; `limit` 1…1000, default 100; `next` in the answer is the cursor of the
///   next page, null on the last); `400` for an unknown state, parameter or cursor.
extension NodeShell {
    /// How long a task request waits for the core (a submission's copies, a query's fan-out)
    /// before the client hears `503`. Longer than `TaskSettings.requestDeadline`, so the core's own
    /// answer normally comes first; below `ControlServer.Settings.answerTimeout`.
    static let taskRequestDeadline: Nanoseconds = .seconds(10)
    /// The largest `POST /v1/tasks` body: a 1 MiB prompt sent as UTF-8 with room for JSON escapes
    /// of quotes and line ends (each at most doubling a byte), plus the other fields.
    static let taskBodyBytesMax = 2 * TaskLimits.promptBytesMax + 16 * 1024
    /// Query parameters `GET /v1/tasks` understands.
    static let taskListParameters = ["state", "limit", "after"]
    /// Tasks on one page of `GET /v1/tasks` when the client names no `limit`.
    static let taskPageDefault = 100

    /// Answers a `/v1/tasks` route and returns true; false when `request` is for another path.
    func handleTaskRoute(_ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void) -> Bool {
        if request.path == "/v1/tasks" {
            switch request.method {
            case "POST": submitTask(request, respond: respond)
            case "GET": listTasks(request, respond: respond)
            default: respond(Self.methodNotAllowed(request, allow: "GET, POST"))
            }
            return true
        }
        guard request.path.hasPrefix("/v1/tasks/") else { return false }
        guard request.method == "GET" else {
            respond(Self.methodNotAllowed(request, allow: "GET"))
            return true
        }
        let text = String(request.path.dropFirst("/v1/tasks/".count))
        guard let id = TaskID(text) else {
            respond(Self.fieldError(TaskFieldError("id", "is not a task id (32 hex digits)")))
            return true
        }
        taskRequest(.task(id), respond: respond) { reply in
            switch reply {
            case .task(let record): return .json(record.json)
            case .taskNotFound(let id, let asked, let answered):
                return .error(404, "no such task: \(id)", code: "not_found",
                              details: [("membersAsked", .integer(Int64(asked))), ("membersAnswered", .integer(Int64(answered)))])
            default: return nil
            }
        }
        return true
    }

    private func submitTask(_ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void) {
        guard let body = String(validating: request.body, as: UTF8.self) else {
            return respond(Self.fieldError(TaskFieldError("body", "is not UTF-8")))
        }
        let spec: TaskSpec
        do { spec = try TaskSubmission.parse(body) } catch { return respond(Self.fieldError(error)) }
        if let problem = attachmentsProblem(spec) { return respond(Self.fieldError(problem)) }
        let receivedAt = SystemClock.monotonicNanoseconds()
        let respond: (HTTPResponse) -> Void = { [self] response in
            submitTiming.add(SystemClock.monotonicNanoseconds() &- receivedAt)
            respond(response)
        }
        taskRequest(.submitTask(spec), respond: respond) { [self] reply in
            switch reply {
            case .taskAccepted(let acceptance):
                apiMetrics.submitLatency.observe(nanoseconds: SystemClock.monotonicNanoseconds() &- receivedAt)
                return .json(acceptance.json, status: acceptance.isDuplicate ? 200 : 201)
            case .taskRefused(let refusal): return .json(refusal.json, status: refusal.isClientError ? 400 : 503)
            default: return nil
            }
        }
    }

    private func listTasks(_ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void) {
        let filter: TaskFilter
        do { filter = try Self.taskFilter(query: request.query) } catch { return respond(Self.fieldError(error)) }
        taskRequest(.tasks(filter), respond: respond) { reply in
            if case .tasks(let listing) = reply { return .json(listing.json) }
            return nil
        }
    }

    /// The filter a `GET /v1/tasks` query string asks for (`state=S`, `limit=N`, `after=CURSOR`).
    static func taskFilter(query: String) throws(TaskFieldError) -> TaskFilter {
        var filter = TaskFilter(limit: taskPageDefault)
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0].prefix(64))
            let value = parts.count > 1 ? String(parts[1]) : ""
            switch name {
            case "state":
                guard let state = TaskState(rawValue: value) else {
                    let known = TaskState.allCases.map(\.rawValue).joined(separator: ", ")
                    throw TaskFieldError("state", "'\(value.prefix(64))' is not a task state (known: \(known))")
                }
                filter.state = state
            case "limit":
                guard value.utf8.count <= 9, let limit = Int(value), limit >= 1 else {
                    throw TaskFieldError("limit", "must be a whole number from 1 to \(TaskFilter.listedTasksMax)")
                }
                guard limit <= TaskFilter.listedTasksMax else {
                    throw TaskFieldError("limit", "must be a whole number from 1 to \(TaskFilter.listedTasksMax)")
                }
                filter.limit = limit
            case "after":
                guard let cursor = TaskCursor(value) else {
                    throw TaskFieldError("after", "is not a listing cursor (pass back the 'next' of the previous page)")
                }
                filter.after = cursor
            default:
                throw TaskFieldError(name, "is not a query parameter here (known: \(taskListParameters.joined(separator: ", ")))")
            }
        }
        return filter
    }

    /// Hands `command` to the core and answers with what `response` makes of its reply; `503` when
    /// the core has not replied within `taskRequestDeadline` (a late reply is then dropped).
    func taskRequest(_ command: ControlRequest, respond: @escaping (HTTPResponse) -> Void,
                             response: @escaping (ControlReply) -> HTTPResponse?) {
        let id = control(command) { reply in
            if case .refused(let reason) = reply { return respond(.json(TaskRefusal.unavailable(reason).json, status: 503)) }
            respond(response(reply) ?? .error(500, "unexpected reply from the node: \(reply)"))
        }
        guard let id else { return }
        // Every task request waits the same time, so deadlines come due in the order requests came:
        // one queue and one timer for all of them, not a Dispatch timer each.
        taskDeadlines.append((id, SystemClock.monotonicNanoseconds() &+ Self.taskRequestDeadline))
        if taskDeadlines.count == 1 { armTaskDeadline() }
    }

    /// Sweeps the task requests whose deadline passed (503), then waits for the next one.
    private func armTaskDeadline() {
        guard let first = taskDeadlines.first else { return }
        let delay = max(0, first.due &- SystemClock.monotonicNanoseconds())
        queue.asyncAfter(deadline: .now() + .nanoseconds(Int(delay))) { [self] in
            let now = SystemClock.monotonicNanoseconds()
            let seconds = Self.taskRequestDeadline / 1_000_000_000
            while let first = taskDeadlines.first, first.due <= now {
                taskDeadlines.removeFirst()
                pendingReplies.removeValue(forKey: first.request)?(.refused("no answer from the mesh within \(seconds)s; a "
                    + "submission may still have been accepted: resubmit with the same idempotency key to find out"))
            }
            armTaskDeadline()
        }
    }

    /// `400 {"error", "code": "bad_field", "field"}`.
    static func fieldError(_ error: TaskFieldError) -> HTTPResponse {
        .json(TaskRefusal.badField(error).json, status: 400)
    }

    static func methodNotAllowed(_ request: HTTPRequest, allow: String) -> HTTPResponse {
        var response = HTTPResponse.error(405, "\(request.method) is not allowed on \(request.path)")
        response.headers.append(("Allow", allow))
        return response
    }
}
