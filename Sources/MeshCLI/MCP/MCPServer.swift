import Dispatch
import Foundation
import Glibc
import MeshCore
import MeshRuntime

/// An MCP server session over one ordered stream of messages (stdio): the initialize handshake,
/// `ping`, `tools/list` and `tools/call`. Tool calls run on their own threads (at most
/// `callsInFlightMax` at once) so a long `submit_task` wait never blocks a `ping`; every answer
/// goes through `send`, one whole message at a time. A failing tool is a result with
/// `isError: true`, never a broken session.
final class MCPServer: @unchecked Sendable {
    /// Protocol revisions this server speaks through the `initialize` handshake, newest first.
    /// The newest is the one the `mcp` Python SDK 2.x offers in `initialize` (its
    /// `LATEST_HANDSHAKE_VERSION`); the 2026 revisions without a handshake (`server/discover`)
    /// are answered "method not found", which makes that SDK fall back to `initialize`.
    static let protocolVersions = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]

    /// What the server says about itself in `initialize`.
    static let instructions = "Tools for an AgentMesh mesh: run agent tasks on other machines. list_profiles shows what "
        + "can run; submit_task starts a task (wait > 0 waits for it to end); task_status, task_logs, fetch_artifacts "
        + "and cancel_task follow it by the id submit_task returns."

    let toolbox: MCPToolbox
    let send: @Sendable (JSONValue) -> Void
    let callsInFlightMax: Int
    private let lock = NSLock()
    private var negotiatedVersion: String?
    private var inFlight: [String: CancelFlag] = [:]

    /// A session that answers through `send` and runs tools from `toolbox`.
    init(toolbox: MCPToolbox, callsInFlightMax: Int = MCPLimits.callsInFlightMax,
         send: @escaping @Sendable (JSONValue) -> Void) {
        self.toolbox = toolbox; self.callsInFlightMax = callsInFlightMax; self.send = send
    }

    /// The version agreed in `initialize`, nil before.
    var protocolVersion: String? { lock.withLock { negotiatedVersion } }

    /// Tool calls still running.
    var callsInFlight: Int { lock.withLock { inFlight.count } }

    /// Handles one event of the line reader.
    func receive(_ event: MCPLineReader.Event) {
        switch event {
        case .line(let bytes): receive(JSONRPC.classify(bytes))
        case .oversized(let count):
            send(JSONRPC.error(.null, JSONRPC.Code.invalidRequest,
                               "message of \(count) bytes is over the \(MCPLimits.lineBytesMax)-byte limit; it was dropped"))
        }
    }

    /// Handles one classified message.
    func receive(_ message: JSONRPC.Incoming) {
        switch message {
        case .invalid(let id, let code, let text): send(JSONRPC.error(id, code, text))
        case .response: break
        case .notification(let method, let params): notified(method, params)
        case .request(let id, let method, let params): requested(id, method, params)
        }
    }

    /// At the end of input: tells every running call to stop waiting, then waits up to `seconds`
    /// for their answers to go out. Returns the calls still running then.
    func finish(within seconds: Double = MCPLimits.finishSeconds) -> Int {
        let deadline = SystemClock.monotonicNanoseconds() &+ Int64(seconds * 1e9)
        for flag in lock.withLock({ Array(inFlight.values) }) { flag.cutShort() }
        while callsInFlight > 0 && SystemClock.monotonicNanoseconds() < deadline {
            usleep(10_000)   // polling the running calls until the deadline
        }
        return callsInFlight
    }

    private func notified(_ method: String, _ params: JSONValue?) {
        guard method == "notifications/cancelled", let id = params?["requestId"] else { return }
        let flag = lock.withLock { inFlight.removeValue(forKey: id.serialized()) }
        flag?.cancel()
    }

    private func requested(_ id: JSONValue, _ method: String, _ params: JSONValue?) {
        switch method {
        case "initialize": send(initialize(id, params))
        case "ping": send(JSONRPC.result(id, .object([])))
        case "tools/list", "tools/call":
            guard protocolVersion != nil else {
                return send(JSONRPC.error(id, JSONRPC.Code.invalidRequest, "the session is not initialized: send initialize first"))
            }
            if method == "tools/list" {
                send(JSONRPC.result(id, .object([("tools", .array(toolbox.tools.map(\.json)))])))
            } else {
                callTool(id, params)
            }
        default:
            send(JSONRPC.error(id, JSONRPC.Code.methodNotFound, "method '\(method.prefix(100))' is not served here"))
        }
    }

    private func initialize(_ id: JSONValue, _ params: JSONValue?) -> JSONValue {
        guard let params, params.object != nil, let offered = params["protocolVersion"]?.string else {
            return JSONRPC.error(id, JSONRPC.Code.invalidParams, "initialize needs params.protocolVersion (a string)")
        }
        let version = Self.protocolVersions.contains(offered) ? offered : Self.protocolVersions[0]
        lock.withLock { negotiatedVersion = version }
        return JSONRPC.result(id, .object([
            ("protocolVersion", .string(version)),
            ("capabilities", .object([("tools", .object([("listChanged", .bool(false))]))])),
            ("serverInfo", .object([("name", .string("mesh")), ("title", .string("AgentMesh")),
                                    ("version", .string(MeshVersion.release))])),
            ("instructions", .string(Self.instructions)),
        ]))
    }

    /// Sends `notifications/progress` for `token` (a string or an integer), or nil without one.
    static func progressReporter(_ token: JSONValue?, send: @escaping @Sendable (JSONValue) -> Void) -> (@Sendable (Int, String) -> Void)? {
        guard let token, token.string != nil || token.integer != nil else { return nil }
        return { number, message in
            send(.object([("jsonrpc", .string("2.0")), ("method", .string("notifications/progress")),
                          ("params", .object([("progressToken", token), ("progress", .integer(Int64(number))),
                                              ("message", .string(message))]))]))
        }
    }

    private func callTool(_ id: JSONValue, _ params: JSONValue?) {
        guard let params, let name = params["name"]?.string else {
            return send(JSONRPC.error(id, JSONRPC.Code.invalidParams, "tools/call needs params.name (a string)"))
        }
        guard toolbox.tools.contains(where: { $0.name == name }) else {
            let names = toolbox.tools.map(\.name).joined(separator: ", ")
            return send(JSONRPC.error(id, JSONRPC.Code.invalidParams, "unknown tool '\(name.prefix(100))' (tools: \(names))"))
        }
        let arguments = params["arguments"] ?? .object([])
        let key = id.serialized()
        let flag = CancelFlag(progress: Self.progressReporter(params["_meta"]?["progressToken"], send: send))
        let refusal: String? = lock.withLock {
            if inFlight[key] != nil { return "request id \(key.prefix(100)) is already in use by a running call" }
            if inFlight.count >= callsInFlightMax { return "\(callsInFlightMax) tool calls are already running; try again when one ends" }
            inFlight[key] = flag
            return nil
        }
        if let refusal { return send(JSONRPC.error(id, JSONRPC.Code.busy, refusal)) }
        let toolbox = toolbox
        Thread.detachNewThread { [self] in
            let result = toolbox.call(name, arguments: arguments, cancel: flag)
            let isAnswered = lock.withLock {
                guard inFlight[key] === flag else { return false }   // cancelled (its id may be reused since)
                inFlight.removeValue(forKey: key)
                return true
            }
            if isAnswered && !flag.isCancelled { send(JSONRPC.result(id, result.json)) }
        }
    }
}
