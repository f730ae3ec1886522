import MeshCore

/// `POST /v1/tasks/{id}/cancel` (issue 10 §5), from any node. Body `{}` (or none). Answers
/// `200` with the task record once `cancelled` is synced on its copies (a running attempt and all
/// its processes stopped first), `202 {"state": "cancelling", "stopWithinMs", "task"}` when the
/// owner sent the stop but the attempt had not ended by the request's limit (a grace of several
/// seconds: `cancelled` follows, read it with `GET /v1/tasks/{id}`),
/// `409 {"error": {"code": "finished", "message", "state"}, "task"}` when the task had already
/// ended, `404` for an unknown task, `503` when its owner cannot be reached now.
extension NodeShell {
    /// Answers the cancel route and returns true; false for any other path.
    func handleCancelRoute(_ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void) -> Bool {
        guard request.path.hasPrefix("/v1/tasks/"), request.path.hasSuffix("/cancel") else { return false }
        let text = String(request.path.dropFirst("/v1/tasks/".count).dropLast("/cancel".count))
        guard request.method == "POST" else {
            respond(Self.methodNotAllowed(request, allow: "POST"))
            return true
        }
        guard let id = TaskID(text) else {
            respond(Self.fieldError(TaskFieldError("id", "is not a task id (32 hex digits)")))
            return true
        }
        if let problem = Self.cancelBodyProblem(request.body) {
            respond(Self.fieldError(TaskFieldError("body", problem)))
            return true
        }
        taskRequest(.cancelTask(id), respond: respond) { reply in
            switch reply {
            case .taskCancelled(let record): return .json(record.json)
            case .taskCancelling(let record, let within):
                return .json(.object([("state", .string("cancelling")), ("stopWithinMs", .integer(within / 1_000_000)),
                                      ("task", record.json)]), status: 202)
            case .taskFinished(let record):
                let error = HTTPResponse.errorBody(code: "finished", message: "task \(id) already finished (\(record.state.rawValue)); nothing was changed",
                                                   details: [("state", .string(record.state.rawValue))])
                return .json(.object((error.object ?? []) + [("task", record.json)]), status: 409)
            case .taskNotFound(let id, let asked, let answered):
                return .error(404, "no such task: \(id)", code: "not_found",
                              details: [("membersAsked", .integer(Int64(asked))), ("membersAnswered", .integer(Int64(answered)))])
            default: return nil
            }
        }
        return true
    }

    /// Why a cancel body is not `{}` (or empty), or nil.
    static func cancelBodyProblem(_ body: Bytes) -> String? {
        if body.isEmpty { return nil }
        guard body.count <= 1_024, let text = String(validating: body, as: UTF8.self),
              let document = try? JSONValue.parse(text), let members = document.object else { return "must be the JSON object {}" }
        return members.isEmpty ? nil : "a cancel takes no fields (send {})"
    }
}
