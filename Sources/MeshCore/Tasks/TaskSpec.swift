/// What a client asks for: a profile name plus input (ARCHITECTURE §7). Never a command line: each
/// node maps `profile` to a command its own local config allows.
public struct TaskSpec: Equatable, Sendable {
    /// The profile to run, ≤ `TaskLimits.profileBytesMax` bytes.
    public var profile: String
    /// The prompt text, given to the agent on stdin and in `inbox/prompt.md`; ≤ `promptBytesMax`.
    public var prompt: String
    /// Tasks with one affinity key land on the same owner; empty for none.
    public var affinity: String
    /// Tags a node must carry to run the task; at most `tagsMax`, each ≤ `tagBytesMax` bytes.
    public var tags: [String]
    /// How long one attempt may run, within `timeoutMin...timeoutMax`.
    public var timeout: Nanoseconds
    /// How many failed attempts end the task, within `attemptsMin...attemptsMax`.
    public var attemptsMax: UInt32
    /// A client's key that makes a resubmission land on the same task; nil for none.
    public var idempotencyKey: String?
    /// Files sent with the task (name, size, SHA-256; the bytes travel as blobs, never in the
    /// spec); at most `TaskLimits.attachmentsMax`, names by `TaskFile.nameError`, each used once.
    public var attachments: [TaskFile] = []
    /// Declared outputs: artifact names an attempt must leave in `artifacts/` to succeed (besides
    /// those its profile declares). At most `expectedOutputsMax`, each passing `TaskFile.nameError`,
    /// together at most `expectedOutputsBytesMax` bytes of names.
    public var expect: [String] = []

    /// A spec; check it with `validationError()` (the submission parser does).
    public init(profile: String, prompt: String, affinity: String = "", tags: [String] = [],
                timeout: Nanoseconds = TaskLimits.timeoutDefault, attemptsMax: UInt32 = TaskLimits.attemptsDefault,
                idempotencyKey: String? = nil) {
        self.profile = profile; self.prompt = prompt; self.affinity = affinity; self.tags = tags
        self.timeout = timeout; self.attemptsMax = attemptsMax; self.idempotencyKey = idempotencyKey
    }

    /// The first field that breaks a limit, or nil when the spec is within every one.
    public func validationError() -> TaskFieldError? {
        if profile.isEmpty || profile.utf8.count > TaskLimits.profileBytesMax || !Self.isPlainName(profile) {
            return TaskFieldError("profile", "must be 1 to \(TaskLimits.profileBytesMax) letters, digits, '-', '_' or '.'")
        }
        if prompt.utf8.count > TaskLimits.promptBytesMax {
            return TaskFieldError("prompt", "must be at most \(TaskLimits.promptBytesMax) bytes")
        }
        if affinity.utf8.count > TaskLimits.affinityBytesMax {
            return TaskFieldError("affinity", "must be at most \(TaskLimits.affinityBytesMax) bytes")
        }
        if tags.count > TaskLimits.tagsMax { return TaskFieldError("tags", "at most \(TaskLimits.tagsMax) tags") }
        if tags.contains(where: { $0.isEmpty || $0.utf8.count > TaskLimits.tagBytesMax || !Self.isPlainName($0) }) {
            return TaskFieldError("tags", "each tag must be 1 to \(TaskLimits.tagBytesMax) letters, digits, '-', '_' or '.'")
        }
        if timeout < TaskLimits.timeoutMin || timeout > TaskLimits.timeoutMax {
            return TaskFieldError("timeout", "must be between 1s and 24h")
        }
        if attemptsMax < TaskLimits.attemptsMin || attemptsMax > TaskLimits.attemptsMax {
            return TaskFieldError("attempts", "must be between \(TaskLimits.attemptsMin) and \(TaskLimits.attemptsMax)")
        }
        if let problem = TaskFile.attachmentsError(attachments) { return TaskFieldError("attachments", problem) }
        if prompt.utf8.count + TaskFile.encodedBytes(attachments) > TaskLimits.promptBytesMax {
            // One log record holds the spec: the attachment records share the prompt's room.
            return TaskFieldError("attachments", "the prompt and the attachment records together must be at most \(TaskLimits.promptBytesMax) bytes")
        }
        if let key = idempotencyKey, key.isEmpty || key.utf8.count > TaskLimits.idempotencyKeyBytesMax {
            return TaskFieldError("idempotencyKey", "must be 1 to \(TaskLimits.idempotencyKeyBytesMax) bytes")
        }
        return expectError()
    }

    /// The key placement hashes: the affinity key if given, else the task id's text.
    public func placementKey(id: TaskID) -> String { affinity.isEmpty ? id.description : affinity }

    /// Letters, digits, `-`, `_` and `.` only (names that are safe in logs, paths and terminals).
    static func isPlainName(_ text: String) -> Bool {
        text.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2D || byte == 0x5F || byte == 0x2E
        }
    }
}

/// A field of a submission that is wrong, and why: the HTTP API answers it with `400`.
public struct TaskFieldError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The JSON field name (`profile`, `timeout`, …), or `body` for the document as a whole.
    public var field: String
    /// What is wrong with it, for a person.
    public var message: String

    /// An error about `field`.
    public init(_ field: String, _ message: String) { self.field = field; self.message = message }

    /// `field 'timeout': must be between 1s and 24h`.
    public var description: String { "field '\(field)': \(message)" }
}
