import MeshCore
import MeshRuntime

/// `task_logs`: `GET /v1/tasks/{id}/logs?attempt=A&from=N` from a cursor `A:N`, returning the text
/// and the cursor to read on from.
extension MeshTools {
    /// A log position: attempt `attempt`, byte `offset` of its output file. Text form `A:N`.
    struct LogCursor: Equatable {
        var attempt: UInt32
        var offset: UInt64

        /// Parses `A:N` (A ≥ 1); nil for anything else.
        init?(_ text: String) {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }),
                  let attempt = UInt32(parts[0]), attempt >= 1, let offset = UInt64(parts[1]) else { return nil }
            self.attempt = attempt; self.offset = offset
        }

        init(attempt: UInt32, offset: UInt64) { self.attempt = attempt; self.offset = offset }

        var text: String { "\(attempt):\(offset)" }
    }

    func logs(_ arguments: ToolArguments) throws(ToolFailure) -> JSONValue {
        let id = try arguments.taskID()
        let maxBytes = Int(try arguments.integer("maxBytes", in: 1...Int64(MCPLimits.logBytesMax)) ?? Int64(MCPLimits.logBytesDefault))
        var cursor: LogCursor?
        if let text = try arguments.string("cursor") {
            guard let parsed = LogCursor(text) else { throw ToolFailure("task_logs: 'cursor' must be 'A:N' as nextCursor gave it (got '\(text.prefix(40))')") }
            cursor = parsed
        }
        let chosenAttempt = try arguments.integer("attempt", in: 1...Int64(UInt32.max)).map { UInt32($0) }
        let record = try self.record(id)
        let latest = UInt32(clamping: record["attempt"]?.integer ?? 0)
        guard let start = cursor ?? (chosenAttempt ?? (latest > 0 ? latest : nil)).map({ LogCursor(attempt: $0, offset: 0) }) else {
            return Self.logAnswer(id, record, from: LogCursor(attempt: 1, offset: 0), text: "", bytes: 0, isMore: false,
                                  note: "no attempt has started yet")
        }
        var reader = client
        reader.responseBytesMax = MCPLimits.logFetchBytesMax
        let response = try ask { () throws(ControlClient.Failure) in
            try reader.fetch("GET", "/v1/tasks/\(id)/logs?attempt=\(start.attempt)&from=\(start.offset)")
        }
        if Self.isNotServed(response) {
            throw ToolFailure("this node does not serve task logs (GET /v1/tasks/{id}/logs); it runs an older mesh")
        }
        guard response.isSuccess else {
            throw ToolFailure(response.taskAnswer.errorMessage)
        }
        var served = start
        if let attempt = response.header("X-Mesh-Log-Attempt").flatMap({ UInt32($0) }) { served.attempt = attempt }
        if let offset = response.header("X-Mesh-Log-Offset").flatMap({ UInt64($0) }) { served.offset = offset }
        let cut = Self.utf8Prefix(response.body, bytesMax: maxBytes)
        return Self.logAnswer(id, record, from: served, text: String(decoding: response.body[0..<cut], as: UTF8.self),
                              bytes: cut, isMore: cut < response.body.count, note: nil)
    }

    /// The answer: the text, the cursors, and where to go next. A finished attempt's log that has
    /// nothing more points on to the next attempt when the task has one.
    static func logAnswer(_ id: TaskID, _ record: JSONValue, from: LogCursor, text: String, bytes: Int,
                          isMore: Bool, note: String?) -> JSONValue {
        let latest = UInt32(clamping: record["attempt"]?.integer ?? 0)
        var next = LogCursor(attempt: from.attempt, offset: from.offset &+ UInt64(bytes))
        if bytes == 0 && !isMore && latest > from.attempt { next = LogCursor(attempt: from.attempt &+ 1, offset: 0) }
        var members: [(String, JSONValue)] = [
            ("id", .string(id.description)), ("attempt", .integer(Int64(from.attempt))), ("cursor", .string(from.text)),
            ("nextCursor", .string(next.text)), ("bytes", .integer(Int64(bytes))), ("more", .bool(isMore)),
            ("taskState", record["state"] ?? .null), ("latestAttempt", .integer(Int64(latest))), ("text", .string(text)),
        ]
        if let note { members.append(("note", .string(note))) }
        return .object(members)
    }

    /// The longest prefix of `bytes` within `bytesMax` that does not end inside a UTF-8 sequence
    /// (when the cut falls inside the bytes).
    static func utf8Prefix(_ bytes: Bytes, bytesMax: Int) -> Int {
        guard bytes.count > bytesMax else { return bytes.count }
        var cut = bytesMax
        // Step back over continuation bytes (10xxxxxx) to the start of the sequence, at most 3.
        var back = 0
        while cut > 0, back < 4, bytes[cut] & 0xC0 == 0x80 { cut -= 1; back += 1 }
        return back < 4 && cut > 0 ? cut : bytesMax
    }
}
