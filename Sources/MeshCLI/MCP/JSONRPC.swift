import MeshCore

/// JSON-RPC 2.0 as MCP uses it over stdio: one message per line, no batches.
enum JSONRPC {
    /// The error codes of JSON-RPC 2.0 (§5.1).
    enum Code {
        static let parseError: Int64 = -32700
        static let invalidRequest: Int64 = -32600
        static let methodNotFound: Int64 = -32601
        static let invalidParams: Int64 = -32602
        static let internalError: Int64 = -32603
        /// Implementation-defined server error: too many calls in flight.
        static let busy: Int64 = -32000
    }

    /// A message from the client, as classified by `classify`.
    enum Incoming: Equatable {
        /// A request: it gets exactly one answer carrying `id`.
        case request(id: JSONValue, method: String, params: JSONValue?)
        /// A notification: never answered.
        case notification(method: String, params: JSONValue?)
        /// A response to a request of ours (the server sends none, so it is ignored).
        case response
        /// Not a valid message: answered with this error (id null when no id could be read).
        case invalid(id: JSONValue, code: Int64, message: String)
    }

    /// Parses and classifies one line.
    static func classify(_ line: Bytes) -> Incoming {
        guard let text = String(validating: line, as: UTF8.self) else {
            return .invalid(id: .null, code: Code.parseError, message: "the message is not UTF-8")
        }
        let message: JSONValue
        do { message = try JSONValue.parse(text) } catch {
            return .invalid(id: .null, code: Code.parseError, message: "the message is not JSON: \(error.description)")
        }
        if message.array != nil {
            return .invalid(id: .null, code: Code.invalidRequest, message: "batches are not supported: send one message per line")
        }
        guard message.object != nil else {
            return .invalid(id: .null, code: Code.invalidRequest, message: "a message must be a JSON object")
        }
        let id = message["id"]
        let validID = id.flatMap { $0.string != nil || $0.integer != nil ? $0 : nil }
        guard message["jsonrpc"]?.string == "2.0" else {
            return .invalid(id: validID ?? .null, code: Code.invalidRequest, message: "\"jsonrpc\" must be \"2.0\"")
        }
        guard let methodValue = message["method"] else {
            return message["result"] != nil || message["error"] != nil ? .response
                : .invalid(id: validID ?? .null, code: Code.invalidRequest, message: "a request needs a \"method\"")
        }
        guard let method = methodValue.string else {
            return .invalid(id: validID ?? .null, code: Code.invalidRequest, message: "\"method\" must be a string")
        }
        let params = message["params"]
        if let params, params.object == nil && params.array == nil {
            return .invalid(id: validID ?? .null, code: Code.invalidRequest, message: "\"params\" must be an object")
        }
        guard let id else { return .notification(method: method, params: params) }
        guard let validID else {
            return .invalid(id: .null, code: Code.invalidRequest, message: "\"id\" must be a string or an integer")
        }
        return .request(id: validID, method: method, params: params)
    }

    /// `{"jsonrpc":"2.0","id":…,"result":…}`.
    static func result(_ id: JSONValue, _ result: JSONValue) -> JSONValue {
        .object([("jsonrpc", .string("2.0")), ("id", id), ("result", result)])
    }

    /// `{"jsonrpc":"2.0","id":…,"error":{"code","message"}}`.
    static func error(_ id: JSONValue, _ code: Int64, _ message: String) -> JSONValue {
        .object([("jsonrpc", .string("2.0")), ("id", id),
                 ("error", .object([("code", .integer(code)), ("message", .string(message))]))])
    }
}

/// Splits a byte stream into lines of at most `lineBytesMax` bytes. A longer line is reported
/// once by its length and its bytes are dropped up to the next newline, so one bad message never
/// costs unbounded memory nor the session.
struct MCPLineReader {
    /// What the reader found in the bytes fed so far.
    enum Event: Equatable {
        case line(Bytes)
        case oversized(byteCount: Int)
    }

    let lineBytesMax: Int
    private var pending = Bytes()
    /// Bytes of the oversized line being skipped, or nil when not skipping.
    private var skipped: Int?

    init(lineBytesMax: Int = MCPLimits.lineBytesMax) { self.lineBytesMax = lineBytesMax }

    /// Takes the next bytes; returns the complete lines (without `\n` or a trailing `\r`).
    mutating func feed(_ bytes: Bytes) -> [Event] {
        var events: [Event] = []
        var start = 0
        while start < bytes.count {
            let newline = bytes[start...].firstIndex(of: 10)
            let piece = bytes[start..<(newline ?? bytes.count)]
            if let count = skipped {
                skipped = count &+ piece.count
            } else if pending.count + piece.count > lineBytesMax {
                skipped = pending.count &+ piece.count
                pending = Bytes()
            } else {
                pending.append(contentsOf: piece)
            }
            guard let newline else { break }
            if let count = skipped {
                events.append(.oversized(byteCount: count))
                skipped = nil
            } else {
                if pending.last == 13 { pending.removeLast() }
                if !pending.isEmpty { events.append(.line(pending)) }
            }
            pending.removeAll(keepingCapacity: true)
            start = newline + 1
        }
        return events
    }

    /// At the end of input: a last line without a newline, if any.
    mutating func finish() -> [Event] {
        defer { pending = Bytes(); skipped = nil }
        if let count = skipped { return [.oversized(byteCount: count)] }
        return pending.isEmpty ? [] : [.line(pending)]
    }
}
