import Glibc
import MeshCore
import MeshRuntime

/// `submit_task`: one `POST /v1/tasks`, then (with `wait`) polls of `GET /v1/tasks/{id}` until the
/// task ends, the wait runs out or the client cancels the call.
extension MeshTools {

    func submit(_ arguments: ToolArguments, _ cancel: CancelFlag) throws(ToolFailure) -> JSONValue {
        let body = try Self.submissionBody(arguments)
        let wait = try arguments.number("wait", in: 0...Double(MCPLimits.waitSecondsMax)) ?? 0
        let bytes = Array(body.serialized().utf8)
        let response = try ask { () throws(ControlClient.Failure) in
            var submitter = client
            submitter.timeout = max(client.timeout, ControlClient.submitTimeout)
            return try submitter.fetch("POST", "/v1/tasks", body: bytes)
        }
        let json = response.json ?? .null
        guard response.isSuccess, let idText = json["id"]?.string, let id = TaskID(idText) else {
            let answer = response.taskAnswer
            var message = answer.errorMessage
            if let field = answer.field { message = "the node refused '\(field)': \(message)" }
            throw ToolFailure(message)
        }
        guard wait > 0 else { return json }
        let (record, finished) = try waitForEnd(id, seconds: wait, cancel: cancel)
        return .object([("id", .string(idText)), ("state", record["state"] ?? .null), ("copies", json["copies"] ?? .null),
                        ("finished", .bool(finished)), ("task", record)])
    }

    /// The `POST /v1/tasks` body, checked here so that a mistake names its argument.
    static func submissionBody(_ arguments: ToolArguments) throws(ToolFailure) -> JSONValue {
        var spec = TaskSpec(profile: try arguments.requiredString("profile"), prompt: try arguments.requiredString("prompt"),
                            affinity: try arguments.string("affinity") ?? "",
                            tags: try arguments.strings("tags", countMax: TaskLimits.tagsMax),
                            idempotencyKey: try arguments.string("idempotencyKey"))
        if let text = try arguments.string("timeout") {
            guard let timeout = TaskDuration.parse(text) else {
                throw ToolFailure("submit_task: 'timeout' must be a duration like 90s, 5m or 1h (got '\(text.prefix(40))')")
            }
            spec.timeout = timeout
        }
        if let attempts = try arguments.integer("attempts", in: Int64(TaskLimits.attemptsMin)...Int64(TaskLimits.attemptsMax)) {
            spec.attemptsMax = UInt32(attempts)
        }
        spec.expect = try arguments.strings("expect", countMax: TaskLimits.expectedOutputsMax)
        if let problem = spec.validationError() { throw ToolFailure("submit_task: '\(problem.field)' \(problem.message)") }
        return TaskSubmission.json(spec)
    }

    /// Reports the task's state when it changed, or every `progressEvery` while it does not.
    private func progress(_ record: JSONValue, _ id: TaskID, since last: (state: String, at: Int64),
                          _ cancel: CancelFlag) -> (state: String, at: Int64) {
        let state = record["state"]?.string ?? "?"
        let now = SystemClock.monotonicNanoseconds()
        guard state != last.state || now &- last.at >= MCPLimits.progressEvery else { return last }
        cancel.report("task \(id): \(state)")
        return (state, now)
    }

    /// Polls the task until it is terminal (true), `seconds` pass or the call is cancelled (false).
    /// A node that stops answering is asked again until the deadline; a task that is not found
    /// right after its submission (the listing races the copies) is asked again too.
    func waitForEnd(_ id: TaskID, seconds: Double, cancel: CancelFlag) throws(ToolFailure) -> (JSONValue, Bool) {
        let deadline = SystemClock.monotonicNanoseconds() &+ Int64(seconds * 1e9)
        var pause = MCPLimits.pollPauseFirst
        var last: JSONValue?
        var problem = ""
        var reported = (state: "", at: SystemClock.monotonicNanoseconds())
        while true {
            do throws(ControlClient.Failure) {
                let answer = try client.task(id)
                if answer.isSuccess {
                    last = answer.json
                    reported = progress(answer.json, id, since: reported, cancel)
                    if let state = answer.json["state"]?.string.flatMap(TaskState.init(rawValue:)), state.isTerminal {
                        return (answer.json, true)
                    }
                } else {
                    problem = answer.errorMessage
                }
            } catch {
                problem = error.description
            }
            let left = deadline &- SystemClock.monotonicNanoseconds()
            guard left > 0, !cancel.shouldStop else {
                guard let last else { throw ToolFailure("waited \(seconds)s for task \(id) and no node answered for it: \(problem)") }
                return (last, false)
            }
            usleep(UInt32(clamping: min(pause, left) / 1000))   // the polling interval, growing to pollPauseMax
            pause = min(pause &* 2, MCPLimits.pollPauseMax)
        }
    }
}
