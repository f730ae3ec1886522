import MeshCore

/// The A2A protocol as this node speaks it (issue 13 item 2): version 1.0, the JSON-RPC binding,
/// the version the `a2a-sdk` Python client (1.3) speaks by default. Every name here is the
/// protocol's, spelled as the SDK spells it on the wire.
public enum A2AProtocol {
    /// The protocol version of the one interface the card names.
    public static let version = "1.0"
    /// The service-parameter header every request must carry (`A2A-Version: 1.0`). A request
    /// without it means 0.3, which this node does not speak (the SDK's own server refuses it too).
    public static let versionHeader = "a2a-version"
    /// Where every node serves its agent card.
    public static let cardPath = "/.well-known/agent-card.json"
    /// The JSON-RPC endpoint the card names.
    public static let endpointPath = "/a2a"
    /// The binding the card declares.
    public static let binding = "JSONRPC"
    /// The methods this node answers (A2A 1.0 names), in the order the README lists them.
    public static let methods = ["SendMessage", "SendStreamingMessage", "GetTask", "ListTasks", "CancelTask",
                                 "SubscribeToTask"]
    /// Methods of the protocol this node declines with a specific error.
    static let pushMethods = ["CreateTaskPushNotificationConfig", "GetTaskPushNotificationConfig",
                              "ListTaskPushNotificationConfigs", "DeleteTaskPushNotificationConfig"]
    /// The key of a message's `metadata` that names the skill (the profile) to run.
    public static let skillKey = "skill"
    /// The prefix of the idempotency key a message becomes: `a2a:` + its `messageId`, so a client
    /// that sends the same message twice gets the same task.
    public static let idempotencyPrefix = "a2a:"

    /// `text` cut to at most `bytes` UTF-8 bytes at a character boundary: client text quoted in an error.
    static func cut(_ text: String, to bytes: Int) -> String {
        var result = ""
        var count = 0
        for character in text {
            count += character.utf8.count
            if count > bytes { break }
            result.append(character)
        }
        return result
    }

    /// True when `header` (the `A2A-Version` value) is a 1.x version (minor and patch ignored, as
    /// the SDK compares them).
    static func isSupported(version header: String?) -> Bool {
        guard let header, let major = header.split(separator: ".", omittingEmptySubsequences: false).first else { return false }
        return major == "1"
    }
}

/// Bounds of the A2A edge, each a named setting.
public enum A2ALimits {
    /// How often a stream (or a blocking `SendMessage`) reads the task again. A stream is answered
    /// from any node, so it asks the mesh (the same query as `GET /v1/tasks/{id}`).
    public static let pollInterval: Nanoseconds = .milliseconds(500)
    /// A silent stream sends a keep-alive (an SSE comment; whitespace before a blocking JSON answer)
    /// this long after its last write. Below the `a2a-sdk` client's default read timeout (httpx's
    /// 5 s), so an agent that thinks quietly never makes the client give up.
    public static let keepAliveInterval: Nanoseconds = .seconds(2)
    /// A blocking `SendMessage` answers with the task as it stands after this long, over or not
    /// (below `ControlServer.Settings.streamDurationMax`, which would cut the answer off).
    public static let blockingWaitMax: Nanoseconds = .seconds(3_000)
    /// Parts in one message.
    public static let partsMax = 64
    /// Tasks one `ListTasks` page holds (the SDK's own maximum page size).
    public static let listPageSizeMax = 100
    /// Tasks a `ListTasks` page holds when the request names no size.
    public static let listPageSizeDefault = 50
    /// The largest `POST /a2a` body: a prompt as large as `POST /v1/tasks` takes, in JSON-RPC.
    public static let requestBytesMax = NodeShell.taskBodyBytesMax
}

/// An A2A error answered as a JSON-RPC error object, with the code, reason and
/// `google.rpc.ErrorInfo` detail the SDK maps back to its exception classes.
public struct A2AError: Error, Equatable, Sendable {
    /// The JSON-RPC error code (-32700…-32600 JSON-RPC's own, -32001…-32009 A2A's).
    public var code: Int
    /// For people.
    public var message: String

    /// An error with `code`.
    public init(_ code: Int, _ message: String) { self.code = code; self.message = message }

    static func parse(_ message: String) -> A2AError { A2AError(-32700, message) }
    static func invalidRequest(_ message: String) -> A2AError { A2AError(-32600, message) }
    static func methodNotFound(_ method: String) -> A2AError {
        A2AError(-32601, "method '\(A2AProtocol.cut(method, to: 64))' is not an A2A 1.0 method this node answers "
                 + "(\(A2AProtocol.methods.joined(separator: ", ")))")
    }
    static func invalidParams(_ message: String) -> A2AError { A2AError(-32602, message) }
    static func internalError(_ message: String) -> A2AError { A2AError(-32603, message) }
    static func taskNotFound(_ id: String) -> A2AError { A2AError(-32001, "no such task: \(A2AProtocol.cut(id, to: 64))") }
    static func notCancelable(_ message: String) -> A2AError { A2AError(-32002, message) }
    static let pushNotSupported = A2AError(-32003, "push notifications are not supported: stream or poll instead")
    static func unsupported(_ message: String) -> A2AError { A2AError(-32004, message) }
    static func contentType(_ message: String) -> A2AError { A2AError(-32005, message) }
    static let extendedCardNotConfigured = A2AError(-32007, "this node has no extended agent card")
    static func version(_ header: String?) -> A2AError {
        A2AError(-32009, "A2A version '\(A2AProtocol.cut(header ?? "0.3 (no A2A-Version header)", to: 64))' is not "
                 + "supported: send A2A-Version: \(A2AProtocol.version)")
    }

    /// The reason the SDK reads from the `ErrorInfo` detail.
    public var reason: String {
        switch code {
        case -32700: "JSON_PARSE_ERROR"
        case -32600: "INVALID_REQUEST"
        case -32601: "METHOD_NOT_FOUND"
        case -32602: "INVALID_PARAMS"
        case -32001: "TASK_NOT_FOUND"
        case -32002: "TASK_NOT_CANCELABLE"
        case -32003: "PUSH_NOTIFICATION_NOT_SUPPORTED"
        case -32004: "UNSUPPORTED_OPERATION"
        case -32005: "CONTENT_TYPE_NOT_SUPPORTED"
        case -32007: "EXTENDED_AGENT_CARD_NOT_CONFIGURED"
        case -32009: "VERSION_NOT_SUPPORTED"
        default: "INTERNAL_ERROR"
        }
    }

    /// `{"code", "message", "data": [ErrorInfo]}`.
    public var json: JSONValue {
        let info: JSONValue = .object([("@type", .string("type.googleapis.com/google.rpc.ErrorInfo")),
                                       ("reason", .string(reason)), ("domain", .string("a2a-protocol.org")),
                                       ("metadata", .object([]))])
        return .object([("code", .integer(Int64(code))), ("message", .string(message)), ("data", .array([info]))])
    }
}

/// What the A2A edge did, for `/v1/health`: calls, streams (and waiting `SendMessage` answers)
/// opened, and calls refused before they reached the mesh, by reason (hostile or mistaken input is
/// answered and counted, never a crash).
struct A2ACounters {
    var calls: UInt64 = 0
    var streamsOpened: UInt64 = 0
    /// Refusals by `A2AError.reason`.
    var refused: [String: UInt64] = [:]

    /// Counts a refusal.
    mutating func refused(_ error: A2AError) { refused[error.reason, default: 0] &+= 1 }

    /// The counters as `/v1/health` names them: `a2aCalls`, `a2aStreamsOpened`, and
    /// `a2aRefused` + the reason in camel case (`a2aRefusedInvalidParams`), zeros left out.
    var named: [(String, UInt64)] {
        var result = [("a2aCalls", calls), ("a2aStreamsOpened", streamsOpened)]
        for (reason, count) in refused.sorted(by: { $0.key < $1.key }) {
            let words = reason.lowercased().split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }
            result.append(("a2aRefused" + words.joined(), count))
        }
        return result
    }
}
