import MeshCore

/// A task's state as A2A names it (the values of A2A 1.0's `TaskState`).
public enum A2ATaskState: String, CaseIterable, Sendable {
    case submitted = "TASK_STATE_SUBMITTED"
    case working = "TASK_STATE_WORKING"
    case completed = "TASK_STATE_COMPLETED"
    case failed = "TASK_STATE_FAILED"
    case canceled = "TASK_STATE_CANCELED"
    case rejected = "TASK_STATE_REJECTED"

    /// The mapping of issue 13: accepted/queued → submitted, running/retrying → working,
    /// succeeded → completed, failed/timed_out → failed, cancelled → canceled. (`rejected` is a
    /// submission the mesh refused: it never became a mesh task.)
    public init(_ state: TaskState) {
        switch state {
        case .accepted, .queued: self = .submitted
        case .running, .retrying: self = .working
        case .succeeded: self = .completed
        case .failed, .timedOut: self = .failed
        case .cancelled: self = .canceled
        }
    }

    /// True for the states a task never leaves (a stream ends after one).
    public var isTerminal: Bool {
        switch self {
        case .completed, .failed, .canceled, .rejected: true
        case .submitted, .working: false
        }
    }
}

/// Mesh tasks as A2A objects (proto-JSON, camelCase, as the SDK parses them). The A2A task id is
/// the mesh task id and the context id is the same id (a mesh task is its own context), so a task
/// reads the same through every node.
public struct A2ATaskView: Sendable {
    /// `http://HOST` of this node as the client reached it: artifact links point here.
    public var origin: String

    /// A view whose artifact links point at `origin`.
    public init(origin: String) { self.origin = origin }

    /// The task's artifacts: those of the latest event that has any (the event that ended an
    /// attempt records what it left in `artifacts/`).
    public static func artifacts(of record: TaskRecord) -> [TaskFile] {
        record.history.last { !$0.artifacts.isEmpty }?.artifacts ?? []
    }

    /// The `Task` object. `historyLength` 0 leaves the history out; otherwise it holds the user's
    /// message (rebuilt from the prompt; its id from the idempotency key when the task came through A2A).
    public func task(_ record: TaskRecord, historyLength: Int? = nil) -> JSONValue {
        let id = record.id.description
        var members: [(String, JSONValue)] = [("id", .string(id)), ("contextId", .string(id)), ("status", status(record))]
        let files = Self.artifacts(of: record)
        if !files.isEmpty { members.append(("artifacts", .array(files.map { artifact($0, task: record.id) }))) }
        if historyLength != 0 { members.append(("history", .array([userMessage(record)]))) }
        members.append(("metadata", Self.metadata(record)))
        return .object(members)
    }

    /// `TaskStatus`: the state, when it was entered, and what the mesh says about it.
    public func status(_ record: TaskRecord) -> JSONValue {
        let state = A2ATaskState(record.state)
        let last = record.history.last { if case .task = $0.state { true } else { false } }
        var members: [(String, JSONValue)] = [("state", .string(state.rawValue))]
        if let last {
            let index = record.history.count - 1
            var text = last.node.isEmpty ? "\(last.state)" : "\(last.state) (attempt \(last.attempt), node \(last.node))"
            if !last.reason.isEmpty { text += ": \(last.reason)" }
            members.append(("message", Self.agentMessage(text, id: "\(record.id)-status-\(index)", task: record.id)))
            members.append(("timestamp", .string(WallClock.rfc3339(milliseconds: last.at))))
        }
        return .object(members)
    }

    /// A `StreamResponse` holding a `TaskStatusUpdateEvent`.
    public func statusUpdate(_ record: TaskRecord) -> JSONValue {
        let id = JSONValue.string(record.id.description)
        return .object([("statusUpdate", .object([("taskId", id), ("contextId", id), ("status", status(record))]))])
    }

    /// A `StreamResponse` holding a `TaskArtifactUpdateEvent` with the whole of `file`.
    public func artifactUpdate(_ file: TaskFile, task: TaskID) -> JSONValue {
        let id = JSONValue.string(task.description)
        return .object([("artifactUpdate", .object([("taskId", id), ("contextId", id), ("artifact", artifact(file, task: task)),
                                                    ("append", .bool(false)), ("lastChunk", .bool(true))]))])
    }

    /// An `Artifact`: the file's name, one file part linking to its bytes on this node
    /// (`GET /v1/tasks/{id}/artifacts/{name}`, any node serves it), size and SHA-256 in metadata.
    public func artifact(_ file: TaskFile, task: TaskID) -> JSONValue {
        let url = "\(origin)/v1/tasks/\(task)/artifacts/\(Self.percentEncoded(file.name))"
        let part: JSONValue = .object([("url", .string(url)), ("filename", .string(file.name)),
                                       ("mediaType", .string("application/octet-stream"))])
        let metadata: JSONValue = .object([("sha256", .string(file.sha256Hex)), ("size", .integer(Int64(clamping: file.size)))])
        return .object([("artifactId", .string(file.name)), ("name", .string(file.name)), ("parts", .array([part])),
                        ("metadata", metadata)])
    }

    /// A `Task` in state `rejected`: a submission the mesh refused (nothing was stored, so no node
    /// knows the id later). `id` is the id the task would have had.
    public func rejected(_ id: TaskID, reason: String, at milliseconds: Int64) -> JSONValue {
        let text = JSONValue.string(id.description)
        let status: JSONValue = .object([
            ("state", .string(A2ATaskState.rejected.rawValue)),
            ("message", Self.agentMessage(reason, id: "\(id)-rejected", task: id)),
            ("timestamp", .string(WallClock.rfc3339(milliseconds: milliseconds))),
        ])
        return .object([("id", text), ("contextId", text), ("status", status)])
    }

    /// Mesh facts A2A has no field for: `{"meshState", "profile", "owner", "attempt"}`.
    /// (`owner` is left out of a record made at acceptance, whose owner the entry node does not know.)
    static func metadata(_ record: TaskRecord) -> JSONValue {
        var members: [(String, JSONValue)] = [("meshState", .string(record.state.rawValue)), ("profile", .string(record.spec.profile))]
        if !record.progress.owner.isEmpty { members.append(("owner", .string(record.progress.owner))) }
        members.append(("attempt", .integer(Int64(record.progress.attempt))))
        return .object(members)
    }

    /// The user's message the task came from.
    func userMessage(_ record: TaskRecord) -> JSONValue {
        let key = record.spec.idempotencyKey ?? ""
        let messageId = key.hasPrefix(A2AProtocol.idempotencyPrefix)
            ? String(key.dropFirst(A2AProtocol.idempotencyPrefix.count)) : "\(record.id)-prompt"
        let id = JSONValue.string(record.id.description)
        return .object([("messageId", .string(messageId)), ("contextId", id), ("taskId", id), ("role", .string("ROLE_USER")),
                        ("parts", .array([.object([("text", .string(record.spec.prompt))])])),
                        ("metadata", .object([(A2AProtocol.skillKey, .string(record.spec.profile))]))])
    }

    static func agentMessage(_ text: String, id: String, task: TaskID) -> JSONValue {
        let taskID = JSONValue.string(task.description)
        return .object([("messageId", .string(id)), ("contextId", taskID), ("taskId", taskID), ("role", .string("ROLE_AGENT")),
                        ("parts", .array([.object([("text", .string(text))])]))])
    }

    /// `name` with every byte outside RFC 3986's unreserved set percent-encoded.
    static func percentEncoded(_ name: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out = Bytes()
        for byte in name.utf8 {
            switch byte {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
