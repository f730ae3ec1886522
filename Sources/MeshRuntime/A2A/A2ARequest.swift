import MeshCore

/// One A2A JSON-RPC call, checked: what `POST /a2a` asks for. Parsing never trusts the body: every
/// field is type-checked and bounded, and every refusal is an `A2AError` with the request's id.
public struct A2ACall: Equatable, Sendable {
    /// What the call asks for.
    public enum Method: Equatable, Sendable {
        /// `SendMessage` (`isStreaming` false) or `SendStreamingMessage`.
        case send(A2AMessage, isStreaming: Bool)
        /// `GetTask`; `historyLength` nil for the whole (one-message) history.
        case getTask(TaskID, historyLength: Int?)
        /// `ListTasks`, newest first; `state` nil for every state.
        case listTasks(state: A2ATaskState?, pageSize: Int)
        /// `CancelTask`.
        case cancelTask(TaskID)
        /// `SubscribeToTask`.
        case subscribe(TaskID)
    }

    /// The request's `id` (a string, an integer or null), echoed in the answer.
    public var id: JSONValue
    public var method: Method
}

/// A refusal of a call, with the id to answer it under (null when the body had none to read).
public struct A2ARefusal: Error, Equatable, Sendable {
    public var id: JSONValue
    public var error: A2AError
}

extension A2ACall {
    /// Reads a `POST /a2a` body sent with `A2A-Version: versionHeader`. Checks in the order the SDK's
    /// own server does: JSON, the JSON-RPC envelope, the method, its params, then the version.
    public static func parse(_ body: Bytes, versionHeader: String?) -> Result<A2ACall, A2ARefusal> {
        guard let text = String(validating: body, as: UTF8.self), let document = try? JSONValue.parse(text) else {
            return .failure(A2ARefusal(id: .null, error: .parse("the body is not JSON")))
        }
        guard document.object != nil else {
            let batch = document.array != nil ? "batch requests are not supported" : "a request must be a JSON object"
            return .failure(A2ARefusal(id: .null, error: .invalidRequest(batch)))
        }
        let id = document["id"] ?? .null
        switch id {
        case .string, .integer, .null: break
        default: return .failure(A2ARefusal(id: .null, error: .invalidRequest("id must be a string, an integer or null")))
        }
        func refuse(_ error: A2AError) -> Result<A2ACall, A2ARefusal> { .failure(A2ARefusal(id: id, error: error)) }
        guard document["jsonrpc"]?.string == "2.0" else { return refuse(.invalidRequest("'jsonrpc' must be exactly '2.0'")) }
        guard let method = document["method"]?.string, !method.isEmpty else { return refuse(.invalidRequest("method is required")) }
        let params = document["params"] ?? .object([])
        guard params.object != nil else { return refuse(.invalidParams("params must be a JSON object")) }
        let parsed: Method
        do { parsed = try parseMethod(method, params) } catch { return refuse(error) }
        guard A2AProtocol.isSupported(version: versionHeader) else { return refuse(.version(versionHeader)) }
        return .success(A2ACall(id: id, method: parsed))
    }

    private static func parseMethod(_ method: String, _ params: JSONValue) throws(A2AError) -> Method {
        switch method {
        case "SendMessage", "SendStreamingMessage":
            return .send(try A2AMessage.parse(params), isStreaming: method == "SendStreamingMessage")
        case "GetTask":
            return .getTask(try taskID(params), historyLength: try integer(params["historyLength"], "historyLength", 0...1_000))
        case "CancelTask":
            return .cancelTask(try taskID(params))
        case "SubscribeToTask":
            return .subscribe(try taskID(params))
        case "ListTasks":
            return try listTasks(params)
        case "GetExtendedAgentCard":
            throw A2AError.extendedCardNotConfigured
        default:
            if A2AProtocol.pushMethods.contains(method) { throw A2AError.pushNotSupported }
            throw A2AError.methodNotFound(method)
        }
    }

    /// `params.id`: a task id this mesh could hold (32 hex digits); any other text names no task.
    static func taskID(_ params: JSONValue) throws(A2AError) -> TaskID {
        guard let text = params["id"]?.string, !text.isEmpty else { throw A2AError.invalidParams("params.id (the task id) is required") }
        guard let id = TaskID(text) else { throw A2AError.taskNotFound(text) }
        return id
    }

    private static func listTasks(_ params: JSONValue) throws(A2AError) -> Method {
        if let token = params["pageToken"]?.string, !token.isEmpty {
            throw A2AError.invalidParams("pageToken: this node lists one page, newest first; there is no next page")
        }
        var state: A2ATaskState?
        if let status = params["status"], status != .string("TASK_STATE_UNSPECIFIED") {
            guard let text = status.string, let mapped = A2ATaskState(rawValue: text) else {
                throw A2AError.invalidParams("status must be a TASK_STATE_ name")
            }
            state = mapped
        }
        let size = try integer(params["pageSize"], "pageSize", 1...A2ALimits.listPageSizeMax) ?? A2ALimits.listPageSizeDefault
        return .listTasks(state: state, pageSize: size)
    }

    /// An optional whole number within `range`.
    static func integer(_ value: JSONValue?, _ field: String, _ range: ClosedRange<Int>) throws(A2AError) -> Int? {
        guard let value, !value.isNull else { return nil }
        guard let number = value.integer, number >= Int64(range.lowerBound), number <= Int64(range.upperBound) else {
            throw A2AError.invalidParams("\(field) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return Int(number)
    }
}
