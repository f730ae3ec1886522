import Foundation
import MeshCore

/// One tool as `tools/list` describes it.
struct MCPTool: Sendable {
    var name: String
    var title: String
    var description: String
    /// A JSON Schema (draft 2020-12) object describing the arguments.
    var inputSchema: JSONValue
    /// True when the tool changes nothing (a hint for the client).
    var isReadOnly: Bool
    /// True when calling it twice with the same arguments does no more than calling it once.
    var isIdempotent: Bool
    /// True when it may undo work (cancel a task).
    var isDestructive = false

    /// The `tools/list` entry.
    var json: JSONValue {
        .object([("name", .string(name)), ("title", .string(title)), ("description", .string(description)),
                 ("inputSchema", inputSchema),
                 ("annotations", .object([("title", .string(title)), ("readOnlyHint", .bool(isReadOnly)),
                                          ("destructiveHint", .bool(isDestructive)), ("idempotentHint", .bool(isIdempotent)),
                                          ("openWorldHint", .bool(true))]))])
    }
}

/// What a tool call produced: a JSON object on success (sent both as text and as
/// `structuredContent`), or an error text with `isError: true`.
struct ToolResult: Sendable, Equatable {
    var text: String
    var structured: JSONValue?
    var isError: Bool

    /// A successful result carrying `value`.
    static func success(_ value: JSONValue) -> ToolResult {
        ToolResult(text: value.serialized(pretty: true), structured: value, isError: false)
    }

    /// A failed call, explained in one message.
    static func failure(_ message: String) -> ToolResult { ToolResult(text: message, structured: nil, isError: true) }

    /// The `tools/call` result.
    var json: JSONValue {
        var members: [(String, JSONValue)] = [("content", .array([.object([("type", .string("text")), ("text", .string(text))])]))]
        if let structured { members.append(("structuredContent", structured)) }
        members.append(("isError", .bool(isError)))
        return .object(members)
    }
}

/// Why a tool call failed, for the person or model that made it.
struct ToolFailure: Error, Sendable, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// One running call's link to its session: set when the client cancels it
/// (`notifications/cancelled`: no answer is sent) or the session ends (the call stops waiting and
/// answers with what it has); long calls check it, and report progress through it when the client
/// asked for progress (a `progressToken`).
final class CancelFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    private var cut = false
    private var reports = 0
    private let progress: (@Sendable (Int, String) -> Void)?

    /// A flag; `progress` sends a `notifications/progress` (nil: the client asked for none).
    init(progress: (@Sendable (Int, String) -> Void)? = nil) { self.progress = progress }

    /// True once the client cancelled the call.
    var isCancelled: Bool { lock.withLock { cancelled } }
    /// True when a waiting call should stop waiting now (cancelled, or the session is ending).
    var shouldStop: Bool { lock.withLock { cancelled || cut } }
    func cancel() { lock.withLock { cancelled = true } }
    func cutShort() { lock.withLock { cut = true } }

    /// Sends one progress report (numbered 1, 2, … so that each is above the last) with `message`.
    func report(_ message: String) {
        guard let progress else { return }
        let number: Int? = lock.withLock {
            guard !cancelled else { return nil }
            reports += 1
            return reports
        }
        if let number { progress(number, message) }
    }
}

/// The tools a server offers and how a call runs; `MeshTools` is the real one.
protocol MCPToolbox: Sendable {
    /// Every tool, in the order `tools/list` shows them.
    var tools: [MCPTool] { get }
    /// Runs tool `name` (one of `tools`) with `arguments` (an object); may block.
    func call(_ name: String, arguments: JSONValue, cancel: CancelFlag) -> ToolResult
}
