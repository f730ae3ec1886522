import MeshCore

/// The seven tools and their JSON Schemas.
extension MeshTools {
    static let catalog: [MCPTool] = [
        MCPTool(name: "mesh_status", title: "Mesh status",
                description: "The members of the mesh as the node sees them: name, state (alive, suspect, dead, left), "
                    + "round-trip time and capacity (profiles, slots, busy slots, tags).",
                inputSchema: schema([]), isReadOnly: true, isIdempotent: true),
        MCPTool(name: "list_profiles", title: "List agent profiles",
                description: "The agent profiles the mesh can run (a task names one), with the alive members that "
                    + "advertise each, their free and total slots and their tags.",
                inputSchema: schema([]), isReadOnly: true, isIdempotent: true),
        MCPTool(name: "submit_task", title: "Submit a task",
                description: "Starts a task: the prompt goes to an agent of the named profile on some member of the "
                    + "mesh. Returns the task id. With wait > 0 it also waits up to that many seconds for the task "
                    + "to end and returns its record (state succeeded, failed, timed_out, cancelled or refused; "
                    + "finished false when it was still going). Resubmitting with the same idempotencyKey returns "
                    + "the same task.",
                inputSchema: schema([
                    ("profile", ["type": .string("string"), "description": .string("the agent profile (see list_profiles)")]),
                    ("prompt", ["type": .string("string"), "description": .string("the task's input, at most 1 MiB")]),
                    ("tags", ["type": .string("array"), "items": .object([("type", .string("string"))]),
                              "description": .string("tags the executing member must carry")]),
                    ("affinity", ["type": .string("string"), "description": .string("tasks with one affinity key prefer one member")]),
                    ("idempotencyKey", ["type": .string("string"), "description": .string("a resubmission with this key lands on the same task")]),
                    ("expect", ["type": .string("array"), "items": .object([("type", .string("string"))]),
                                "description": .string("artifact names the task must produce to succeed")]),
                    ("timeout", ["type": .string("string"), "description": .string("longest an attempt may run: 90s, 5m, 1h (default 1h)")]),
                    ("attempts", ["type": .string("integer"), "minimum": .integer(Int64(TaskLimits.attemptsMin)),
                                  "maximum": .integer(Int64(TaskLimits.attemptsMax)), "description": .string("most attempts")]),
                    ("wait", ["type": .string("number"), "minimum": .integer(0), "maximum": .integer(Int64(MCPLimits.waitSecondsMax)),
                              "description": .string("seconds to wait for the task to end (0: return at once)")]),
                ], required: ["profile", "prompt"]),
                isReadOnly: false, isIdempotent: false),
        MCPTool(name: "task_status", title: "Task status",
                description: "A task's record from any member: state, attempt, owner and the whole history of events.",
                inputSchema: schema([("id", idProperty)], required: ["id"]), isReadOnly: true, isIdempotent: true),
        MCPTool(name: "task_logs", title: "Task logs",
                description: "The output (stdout and stderr together) of a task's attempt, from a cursor 'A:N' "
                    + "(attempt A, byte N). Returns the text and nextCursor: pass it back to read on. Without a "
                    + "cursor, reads the current attempt from its start.",
                inputSchema: schema([
                    ("id", idProperty),
                    ("cursor", ["type": .string("string"), "pattern": .string("^[0-9]+:[0-9]+$"),
                                "description": .string("where to read from: 'A:N' as a previous call's nextCursor returned")]),
                    ("attempt", ["type": .string("integer"), "minimum": .integer(1), "description": .string("the attempt to read (default: the current one)")]),
                    ("maxBytes", ["type": .string("integer"), "minimum": .integer(1), "maximum": .integer(Int64(MCPLimits.logBytesMax)),
                                  "description": .string("most bytes to return (default \(MCPLimits.logBytesDefault))")]),
                ], required: ["id"]),
                isReadOnly: true, isIdempotent: true),
        MCPTool(name: "fetch_artifacts", title: "Fetch artifacts",
                description: "Downloads the files a task produced into a directory on this machine, checking each "
                    + "file's size and SHA-256 against the task's history before it is written.",
                inputSchema: schema([
                    ("id", idProperty),
                    ("directory", ["type": .string("string"), "description": .string("absolute path of the directory to write into (created if missing)")]),
                    ("names", ["type": .string("array"), "items": .object([("type", .string("string"))]),
                               "description": .string("only these artifacts (default: all)")]),
                    ("overwrite", ["type": .string("boolean"), "description": .string("replace files that exist with other content (default false)")]),
                ], required: ["id", "directory"]),
                isReadOnly: false, isIdempotent: true),
        MCPTool(name: "cancel_task", title: "Cancel a task",
                description: "Cancels a task that has not ended: a running agent is stopped. Fails for a task that "
                    + "already ended.",
                inputSchema: schema([("id", idProperty)], required: ["id"]), isReadOnly: false, isIdempotent: true,
                isDestructive: true),
    ]

    /// The `id` argument every per-task tool takes.
    static let idProperty: [String: JSONValue] = [
        "type": .string("string"), "pattern": .string("^[0-9a-f]{32}$"), "description": .string("the task id submit_task returned"),
    ]

    /// An object schema with `properties` (in order; each property's keys sorted) and `required`.
    static func schema(_ properties: [(String, [String: JSONValue])], required: [String] = []) -> JSONValue {
        var members: [(String, JSONValue)] = [("type", .string("object"))]
        members.append(("properties", .object(properties.map { name, property in
            (name, .object(property.keys.sorted().map { ($0, property[$0]!) }))
        })))
        if !required.isEmpty { members.append(("required", .array(required.map { .string($0) }))) }
        members.append(("additionalProperties", .bool(false)))
        return .object(members)
    }
}
