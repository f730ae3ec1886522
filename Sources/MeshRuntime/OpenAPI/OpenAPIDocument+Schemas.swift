import MeshCore

/// The schemas of `OpenAPIDocument`: every request body and answer, with the limits the node
/// enforces. Answers allow fields added later (clients must ignore fields they do not know).
extension OpenAPIDocument {
    static let taskID = OAS.string("A task id: 32 lowercase hex digits.", pattern: "^[0-9a-f]{32}$")
    static let name = OAS.string("A member or profile name: letters, digits, `-_.`.", minLength: 1, maxLength: 64)
    static let time = OAS.string("RFC 3339 time, UTC, milliseconds.", format: "date-time")
    static let counters = OAS.map(OAS.integer(minimum: 0), description: "Counters by name.")

    static var schemas: [(String, JSONValue)] {
        [("Error", error), ("TaskState", OAS.string("A task's state.", values: TaskState.allCases.map(\.rawValue))),
         ("TaskSubmission", taskSubmission), ("TaskAcceptance", acceptance), ("TaskEvent", taskEvent),
         ("TaskRecord", taskRecord), ("TaskSummary", taskSummary), ("TaskListing", taskListing), ("TaskFile", taskFile),
         ("ArtifactList", artifactList), ("Capacity", capacity), ("CapacityListing", capacityListing),
         ("Member", member), ("Status", status), ("Health", health), ("Info", info), ("Keys", keys),
         ("MembershipEvents", membershipEvents), ("Placement", placement), ("RoundTrip", roundTrip),
         ("AgentCard", OAS.object([("name", OAS.string()), ("skills", OAS.array(OAS.object([("id", OAS.string())])))],
                                  required: ["name"], description: "An A2A agent card (the A2A specification's AgentCard)."))]
    }

    static let error = OAS.object([("error", OAS.object([
        ("code", OAS.string("A stable machine word: bad_request, bad_field, unknown_profile, not_found, conflict, forbidden, unauthorized, unavailable, busy, …")),
        ("message", OAS.string("One line for people.")),
        ("field", OAS.string("The field or query parameter at fault (`bad_field`).")),
        ("membersAsked", OAS.integer("Members asked (a task not found).", minimum: 0)),
        ("membersAnswered", OAS.integer("Members that answered in time.", minimum: 0)),
    ], required: ["code", "message"]))], required: ["error"], description: "The one shape of every error answer.")

    static let taskSubmission = OAS.object([
        ("profile", OAS.string("The profile to run (a name some member advertises).", minLength: 1, maxLength: TaskLimits.profileBytesMax)),
        ("prompt", OAS.string("The agent's input, on its stdin and in inbox/prompt.md; at most \(TaskLimits.promptBytesMax) bytes of UTF-8.")),
        ("affinity", OAS.string("Placement key: tasks with the same affinity go to the same owner while it lives.",
                                maxLength: TaskLimits.affinityBytesMax)),
        ("tags", OAS.array(OAS.string(maxLength: TaskLimits.tagBytesMax), maxItems: TaskLimits.tagsMax,
                           description: "Tags the owner must carry (node-level or on the profile).")),
        ("timeout", OAS.string("Per-attempt timeout: a duration like 90s, 5m, 1h (1s to 24h; default 1h).", maxLength: TaskDuration.textBytesMax)),
        ("attempts", OAS.integer("Attempts at most (default \(TaskLimits.attemptsDefault)).",
                                 minimum: Int64(TaskLimits.attemptsMin), maximum: Int64(TaskLimits.attemptsMax))),
        ("idempotencyKey", OAS.string("Resubmitting with the same key returns the same task (200) and creates nothing.",
                                      maxLength: TaskLimits.idempotencyKeyBytesMax)),
        ("expect", OAS.array(OAS.string(maxLength: TaskLimits.fileNameBytesMax), maxItems: TaskLimits.expectedOutputsMax,
                             description: "Output files the agent must leave in artifacts/ (a missing one fails the attempt).")),
        ("attachments", OAS.array(OAS.ref("TaskFile"), maxItems: TaskLimits.attachmentsMax,
                                  description: "Files uploaded first with POST /v1/attachments, copied into inbox/ before an attempt.")),
    ], required: ["profile", "prompt"], description: "Unknown fields are refused (400 naming the field).")

    static let acceptance = OAS.object([("id", taskID), ("state", OAS.ref("TaskState")),
                                        ("copies", OAS.integer("Nodes holding the task synced (2 in a mesh, 1 alone).", minimum: 1))],
                                       required: ["id", "state", "copies"])

    static let taskEvent = OAS.object([
        ("state", OAS.ref("TaskState")), ("attempt", OAS.integer(minimum: 0)), ("node", OAS.string()), ("at", time),
        ("reason", OAS.string()), ("artifacts", OAS.array(OAS.ref("TaskFile"), description: "On the event that ends an attempt.")),
    ], required: ["state", "attempt", "node", "at", "reason"], description: "One line of a task's history.")

    static let taskRecord = OAS.object([
        ("id", taskID), ("profile", OAS.string()), ("state", OAS.ref("TaskState")), ("attempt", OAS.integer(minimum: 0)),
        ("owner", OAS.string()), ("copies", OAS.integer(minimum: 0)),
        ("history", OAS.array(OAS.ref("TaskEvent"), maxItems: TaskLimits.historyEventsMax)),
    ], required: ["id", "profile", "state", "attempt", "owner", "copies", "history"])

    static let taskSummary = OAS.object([
        ("id", taskID), ("profile", OAS.string()), ("state", OAS.ref("TaskState")), ("attempt", OAS.integer(minimum: 0)),
        ("owner", OAS.string()), ("copies", OAS.integer(minimum: 0)), ("created", time), ("updated", time),
    ], required: ["id", "profile", "state", "attempt", "owner", "copies", "created", "updated"])

    static let taskListing = OAS.object([
        ("tasks", OAS.array(OAS.ref("TaskSummary"), maxItems: TaskFilter.listedTasksMax,
                            description: "Newest created first, then by id.")),
        ("membersAsked", OAS.integer(minimum: 0)), ("membersAnswered", OAS.integer(minimum: 0)),
        ("truncated", OAS.boolean), ("next", OAS.nullable(OAS.string("Pass as `after` for the next page; null on the last page."))),
    ], required: ["tasks", "membersAsked", "membersAnswered", "truncated", "next"])

    static let taskFile = OAS.object([
        ("name", OAS.string("A file name: no `/`, not `.` or `..`, no control characters.", minLength: 1, maxLength: TaskLimits.fileNameBytesMax)),
        ("size", OAS.integer(minimum: 0)), ("sha256", OAS.string("SHA-256 of the bytes, hex.", pattern: "^[0-9a-f]{64}$")),
    ], required: ["name", "size", "sha256"])

    static let artifactList = OAS.object([
        ("task", taskID), ("attempt", OAS.integer(minimum: 0)), ("node", OAS.string()),
        ("artifacts", OAS.array(OAS.ref("TaskFile"), maxItems: TaskLimits.artifactsRecordedMax)),
    ], required: ["task", "artifacts"])

    static let capacity = OAS.object([
        ("version", OAS.integer(minimum: 0)), ("incarnation", OAS.integer(minimum: 0)), ("ageSeconds", OAS.number()),
        ("profiles", OAS.array(OAS.object([("name", OAS.string()), ("slots", OAS.integer(minimum: 0)),
                                           ("busy", OAS.integer(minimum: 0)), ("tags", OAS.array(OAS.string()))],
                                          required: ["name", "slots", "busy", "tags"]))),
        ("tags", OAS.array(OAS.string())), ("queueLength", OAS.integer(minimum: 0)), ("cpuLoad", OAS.number()),
        ("memoryFreeBytes", OAS.integer(minimum: 0)), ("diskFreeBytes", OAS.integer(minimum: 0)),
        ("meshVersion", OAS.string()), ("memberDown", OAS.boolean),
    ], required: ["version", "incarnation", "ageSeconds", "profiles"], description: "A member's capacity record.")

    static let capacityListing = OAS.object([
        ("self", OAS.string()),
        ("members", OAS.array(OAS.object([("name", OAS.string()), ("address", OAS.string()), ("state", OAS.string()),
                                          ("capacity", OAS.nullable(OAS.ref("Capacity")))],
                                         required: ["name", "address", "state", "capacity"]))),
    ], required: ["self", "members"])

    static let member = OAS.object([
        ("name", OAS.string()), ("address", OAS.string()), ("state", OAS.string(values: ["alive", "suspect", "dead", "left"])),
        ("incarnation", OAS.integer(minimum: 0)), ("lastHeardSecondsAgo", OAS.nullable(OAS.number())),
        ("rttMilliseconds", OAS.nullable(OAS.number())), ("stateChangedSecondsAgo", OAS.number()), ("isSelf", OAS.boolean),
        ("capacity", OAS.nullable(OAS.ref("Capacity"))), ("keyFingerprint", OAS.nullable(OAS.string())),
    ], required: ["name", "address", "state", "incarnation"])

    static let status = OAS.object([
        ("self", OAS.string()), ("incarnation", OAS.integer(minimum: 0)), ("members", OAS.array(OAS.ref("Member"))),
        ("drops", counters), ("hasJoined", OAS.boolean), ("lastJoinFailure", OAS.nullable(OAS.string())),
    ], required: ["self", "incarnation", "members", "drops"])

    static let health = OAS.object([
        ("self", OAS.string()), ("incarnation", OAS.integer(minimum: 0)), ("uptimeSeconds", OAS.number()),
        ("healthScore", OAS.integer(minimum: 0)), ("hasJoined", OAS.boolean), ("isLeaving", OAS.boolean),
        ("members", counters), ("drops", counters), ("datagramDrops", counters), ("streamDrops", counters),
        ("counters", counters), ("lastJoinFailure", OAS.nullable(OAS.string())),
        ("timeoutsMilliseconds", OAS.map(OAS.number())),
    ], required: ["self", "incarnation", "uptimeSeconds", "healthScore", "members", "drops", "counters"])

    static let info = OAS.object([
        ("name", OAS.string()), ("address", OAS.string()), ("incarnation", OAS.integer(minimum: 0)),
        ("state", OAS.string()), ("release", OAS.string()), ("settings", OAS.object([])), ("counters", counters),
    ], required: ["name", "address", "incarnation", "release"])

    static let keys = OAS.object([
        ("keys", OAS.array(OAS.object([("fingerprint", OAS.string()), ("primary", OAS.boolean)], required: ["fingerprint", "primary"]))),
        ("members", OAS.array(OAS.object([("name", OAS.string()), ("state", OAS.string()),
                                          ("keyFingerprint", OAS.nullable(OAS.string()))], required: ["name", "state"]))),
        ("keyFile", OAS.nullable(OAS.string())),
    ], required: ["keys", "members"])

    static let membershipEvents = OAS.object([
        ("events", OAS.array(OAS.object([
            ("sequence", OAS.integer(minimum: 0)), ("time", time),
            ("event", OAS.string(values: ["join", "alive", "update", "suspect", "dead", "left", "forgotten", "refuted"])),
            ("member", OAS.string()), ("incarnation", OAS.nullable(OAS.integer(minimum: 0))), ("address", OAS.nullable(OAS.string())),
        ], required: ["sequence", "time", "event", "member"]))),
        ("next", OAS.integer("The cursor to pass as `after` next time.", minimum: 0)),
        ("missed", OAS.integer("Events dropped from the ring before this reader asked.", minimum: 0)),
    ], required: ["events", "next", "missed"])

    static let placement = OAS.object([
        ("owner", OAS.nullable(OAS.string())), ("replicas", OAS.array(OAS.string())),
        ("skipped", OAS.array(OAS.object([("name", OAS.string()), ("reason", OAS.string()), ("detail", OAS.string())]))),
    ], required: ["owner", "replicas", "skipped"])

    static let roundTrip = OAS.object([
        ("from", OAS.string()), ("to", OAS.string()), ("state", OAS.nullable(OAS.string())),
        ("rttMilliseconds", OAS.nullable(OAS.number())), ("lastRttMilliseconds", OAS.nullable(OAS.number())),
    ], required: ["from", "to"])
}
