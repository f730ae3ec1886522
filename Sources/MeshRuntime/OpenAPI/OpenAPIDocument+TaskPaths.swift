import MeshCore

/// The task routes of `OpenAPIDocument`, and the edges (metrics, this document, the web page, A2A).
/// Logs, artifacts, attachments and cancel follow the shared contract of issues 10 and 13.
extension OpenAPIDocument {
    static let eventStream = OAS.string("Server-Sent Events: `event:`, `id:`, `data:` lines; a `: keep-alive` comment every \(EventStream.Limits().keepAliveInterval / 1_000_000_000) s of silence.")

    static var taskPaths: [(String, [(String, JSONValue)])] {
        [("/v1/tasks", [
            (post, OAS.operation("submitTask", "tasks", "Submit a task",
                "Placed on its owner by the placement ring, stored on two nodes (fsynced) before the answer. A body of at most \(NodeShell.taskBodyBytesMax) bytes. 201 for a new task, 200 for a resubmission with the same idempotency key (nothing created); 400 for a request to change (`bad_field` names the field, `unknown_profile`); 503 when the mesh cannot take it now (`busy`, `no_eligible_node`, `unavailable`, …): retry later, with the same idempotency key.",
                body: OAS.body(OAS.ref("TaskSubmission"), "The task.",
                               example: .object([("profile", .string("shell")), ("prompt", .string("hello")), ("timeout", .string("90s"))])),
                responses: [("200", OAS.response("Already submitted with this idempotency key.", OAS.ref("TaskAcceptance"))),
                            ("201", OAS.response("Accepted and stored on its copies.", OAS.ref("TaskAcceptance")))])),
            (get, OAS.operation("listTasks", "tasks", "List the mesh's tasks, a page at a time",
                "Every alive member is asked (up to the query fan-out) and copies are merged (the newest wins). Newest created first, then by id; a page holds `limit` tasks (default \(NodeShell.taskPageDefault), at most \(TaskFilter.listedTasksMax)) and `next` is the cursor of the next page (null on the last). `membersAnswered` < `membersAsked` means a task only a silent member holds may be missing.",
                parameters: [OAS.query("state", OAS.ref("TaskState"), "Only tasks in this state."),
                             OAS.query("limit", OAS.integer(minimum: 1, maximum: Int64(TaskFilter.listedTasksMax)), "Tasks on the page (default \(NodeShell.taskPageDefault)).", example: .integer(10)),
                             OAS.query("after", OAS.string(maxLength: 64), "The `next` of the previous page.")],
                responses: [("200", OAS.response("A page.", OAS.ref("TaskListing")))])),
         ]),
         ("/v1/tasks/events", [(get, OAS.operation("streamTaskEvents", "tasks", "Live task feed (Server-Sent Events)",
            "The mesh's tasks as they change, from any node: first a snapshot (`event: task` per task, then `event: synced` with `{\"tasks\": N}`), then one `event: task` (data: a TaskSummary) per change. Changes show within \(TaskFeed.pollInterval / 1_000_000_000) s. `id:` is this node's event counter: a client that reconnects gets a fresh snapshot. At most \(ControlServer.Settings().eventStreamsMax) streams per node and \(ControlServer.Settings().eventStreamsPerSourceMax) per client address (503 with Retry-After past them).",
            parameters: [OAS.query("task", taskID, "Only this task's changes.")],
            responses: [("200", OAS.response("The stream (stays open).", eventStream, contentType: "text/event-stream"))]))]),
         ("/v1/tasks/{id}", [(get, OAS.operation("getTask", "tasks", "One task with its history",
            "The newest copy any member that answered holds.",
            parameters: [idParameter], responses: [("200", OAS.response("The task.", OAS.ref("TaskRecord")))], errors: [404]))]),
         ("/v1/tasks/{id}/cancel", [(post, OAS.operation("cancelTask", "tasks", "Cancel a task",
            "Stops a running attempt (TERM, then KILL after the profile's cancel grace) and records `cancelled`. Body: `{}`. With a grace of several seconds the answer can be 202 before the attempt has ended: `cancelled` follows within `stopWithinMs` (read it with getTask).",
            parameters: [idParameter], body: OAS.body(OAS.object([]), "An empty object.", example: .object([])),
            responses: [("200", OAS.response("The task, cancelled.", OAS.ref("TaskRecord"))),
                        ("202", OAS.response("The owner is stopping the attempt; `cancelled` follows.", OAS.object([
                            ("state", OAS.string("Always `cancelling`.")),
                            ("stopWithinMs", OAS.integer("When the attempt should be over, from this answer.", minimum: 0)),
                            ("task", OAS.ref("TaskRecord"))], required: ["state", "stopWithinMs", "task"])))], errors: [404, 409]))]),
        ]
    }

    static var evidencePaths: [(String, [(String, JSONValue)])] {
        [("/v1/attachments", [(post, OAS.operation("uploadAttachment", "tasks", "Upload an attachment",
            "The raw bytes (Content-Length required, at most \(TaskLimits.attachmentBytesDefault) bytes by default), stored content-addressed at this node; name it in a submission's `attachments`.",
            parameters: [OAS.query("name", OAS.string(minLength: 1, maxLength: TaskLimits.fileNameBytesMax), required: true, "The file name.", example: .string("brief.md"))],
            body: OAS.body(OAS.string(format: "binary"), "The file's bytes.", contentType: "application/octet-stream"),
            responses: [("201", OAS.response("Stored.", OAS.ref("TaskFile")))], errors: [411, 500]))]),
         ("/v1/tasks/{id}/logs", [(get, OAS.operation("getTaskLogs", "tasks", "An attempt's output (stdout and stderr)",
            "Raw bytes from the node that runs or ran the attempt, from byte `from`; `follow=1` keeps the answer open while the attempt runs. With `Accept: text/event-stream`: Server-Sent Events whose `id:` is the cursor `A:N`, the byte offset just after the event's bytes (a client reconnecting with `Last-Event-ID: A:N` resumes exactly): `log` (the bytes as `data:` lines), `log64` (base64, for bytes that are not UTF-8 or hold a CR), then `end` (`{attempt, offset, state}`) once the log is drained.",
            parameters: [idParameter, OAS.query("attempt", OAS.integer(minimum: 1), "The attempt (default: the latest)."),
                         OAS.query("from", OAS.integer(minimum: 0), "Byte offset in the attempt's log."),
                         OAS.query("follow", OAS.string(values: ["0", "1"]), "Keep streaming while the attempt runs.")],
            responses: [("200", .object([("description", .string("The log bytes.")),
                                         ("headers", .object([("X-Mesh-Log-Attempt", OAS.header("The attempt.")),
                                                              ("X-Mesh-Log-Offset", OAS.header("The byte offset of the first byte sent."))])),
                                         ("content", .object([("text/plain", .object([("schema", OAS.string())])),
                                                              ("text/event-stream", .object([("schema", eventStream)]))]))]))],
            errors: [404, 409, 502]))]),
         ("/v1/tasks/{id}/artifacts", [(get, OAS.operation("listArtifacts", "tasks", "A task's artifacts",
            "The files the latest attempt that recorded any left in artifacts/, with their SHA-256.",
            parameters: [idParameter], responses: [("200", OAS.response("The artifacts.", OAS.ref("ArtifactList")))],
            errors: [404, 409, 502]))]),
         ("/v1/tasks/{id}/artifacts/{name}", [(get, OAS.operation("getArtifact", "tasks", "Download one artifact",
            "The bytes, from any node (proxied from a node that holds them); check them against `X-Mesh-SHA256`.",
            parameters: [idParameter, OAS.path("name", OAS.string(minLength: 1, maxLength: TaskLimits.fileNameBytesMax), "The artifact's name.")],
            responses: [("200", OAS.response("The bytes.", OAS.string(format: "binary"), contentType: "application/octet-stream",
                                             headers: [("X-Mesh-SHA256", OAS.header("SHA-256 of the bytes, hex.")),
                                                       ("ETag", OAS.header("The SHA-256, quoted."))]))], errors: [404, 409, 502]))]),
        ]
    }

    static var edgePaths: [(String, [(String, JSONValue)])] {
        [("/metrics", [(get, OAS.operation("getMetrics", "edges", "Prometheus metrics",
            "This node's view in the Prometheus text format 0.0.4 (every family with HELP and TYPE).",
            responses: [("200", OAS.response("The metrics.", OAS.string(), contentType: "text/plain"))]))]),
         ("/v1/openapi.json", [(get, OAS.operation("getOpenAPI", "edges", "This document", "The OpenAPI 3.1 description of every route.",
            responses: [("200", OAS.response("The document.", OAS.object([])))]))]),
         ("/", [(get, OAS.operation("getWebPage", "edges", "The live web page",
            "One self-contained HTML page (no external scripts), updated over Server-Sent Events.",
            responses: [("200", OAS.response("The page.", OAS.string(), contentType: "text/html"))]))]),
         ("/v1/status/events", [(get, OAS.operation("streamStatus", "membership", "Live member feed (Server-Sent Events)",
            "What `GET /v1/status` answers, as `event: status` (data: a Status) when the stream opens and every \(StatusFeed.interval / 1_000_000_000) s after. Same stream limits as the task feed.",
            responses: [("200", OAS.response("The stream (stays open).", eventStream, contentType: "text/event-stream"))]))]),
         ("/.well-known/agent-card.json", [(get, OAS.operation("getAgentCard", "edges", "The A2A agent card",
            "Public, read-only: the mesh's profiles as skills, and the A2A JSON-RPC endpoint's URL.",
            responses: [("200", OAS.response("The card.", OAS.ref("AgentCard")))]))]),
         ("/a2a", [(post, OAS.operation("a2a", "edges", "The A2A JSON-RPC endpoint",
            "JSON-RPC 2.0 as the A2A specification defines it (the version the agent card names): send a message (its text is the prompt, `metadata.skill` picks the profile), stream task updates, get, cancel, resubscribe. Protocol errors are JSON-RPC error objects in a 200 answer; streaming methods answer Server-Sent Events.",
            body: OAS.body(OAS.object([("jsonrpc", OAS.string(values: ["2.0"])), ("id", .object([("type", .array([.string("string"), .string("integer"), .string("null")]))])),
                                       ("method", OAS.string()), ("params", OAS.object([]))], required: ["jsonrpc", "method"]), "A JSON-RPC request.",
                           example: .object([("jsonrpc", .string("2.0")), ("id", .integer(1)), ("method", .string("GetTask")), ("params", .object([("id", .string("nosuch"))]))])),
            responses: [("200", .object([("description", .string("A JSON-RPC response, or a stream of them.")),
                                         ("content", .object([("application/json", .object([("schema", OAS.object([("jsonrpc", OAS.string())], required: ["jsonrpc"]))])),
                                                              ("text/event-stream", .object([("schema", eventStream)]))]))]))]))]),
        ]
    }
}
