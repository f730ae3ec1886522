import MeshCore

/// What a node answered to a task request: the HTTP status and the JSON body (the answer for a
/// 2xx, `{"error": {"code", "message", "field"?}}` otherwise).
public struct TaskAnswer: Sendable, Equatable {
    public var status: Int
    public var json: JSONValue

    /// An answer.
    public init(status: Int, json: JSONValue) { self.status = status; self.json = json }

    /// True for 200 and 201.
    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The error line of a non-2xx answer.
    public var errorMessage: String { ControlError.message(in: json) ?? "the node answered \(status)" }

    /// The machine word of a refusal (`bad_field`, `unknown_profile`, `busy`, `not_found`, …).
    public var errorCode: String? { ControlError.detail("code", in: json)?.string }

    /// The field a `400 bad_field` names.
    public var field: String? { ControlError.detail("field", in: json)?.string }
}

/// The task routes of the control API (`mesh submit`, `mesh task`, `mesh tasks`).
extension ControlClient {
    /// How long a client waits for a submission's answer: the node's own deadline
    /// (`NodeShell.taskRequestDeadline`, 10 s) plus a margin.
    public static let submitTimeout: Nanoseconds = .seconds(15)

    /// `POST /v1/tasks` with `spec` as its body. Never repeated (a POST is not safe to repeat;
    /// resubmit with an idempotency key instead).
    public func submitTask(_ spec: TaskSpec) throws(Failure) -> TaskAnswer {
        var client = self
        client.timeout = max(timeout, Self.submitTimeout)
        return try client.taskAnswer("POST", "/v1/tasks", body: Array(TaskSubmission.json(spec).serialized().utf8))
    }

    /// `GET /v1/tasks/{id}`: 200 with the task, or 404.
    public func task(_ id: TaskID) throws(Failure) -> TaskAnswer {
        try taskAnswer("GET", "/v1/tasks/\(id)")
    }

    /// `GET /v1/tasks?limit=L[&state=S][&after=CURSOR]`: one page (the first 1,000 tasks unless told).
    public func tasks(state: TaskState? = nil, limit: Int = TaskFilter.listedTasksMax, after: TaskCursor? = nil)
        throws(Failure) -> TaskAnswer {
        var query = "?limit=\(limit)"
        if let state { query += "&state=\(state.rawValue)" }
        if let after { query += "&after=\(after)" }
        return try taskAnswer("GET", "/v1/tasks" + query)
    }

    func taskAnswer(_ method: String, _ path: String, body: Bytes = []) throws(Failure) -> TaskAnswer {
        let (status, body) = try exchange(method, path, body: body)
        do {
            return TaskAnswer(status: status, json: try JSONValue.parse(String(decoding: body, as: UTF8.self)))
        } catch {
            throw .badResponse("\(status) with a body that is not JSON: \(error.description)")
        }
    }
}
