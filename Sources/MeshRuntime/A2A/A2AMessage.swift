import MeshCore

/// The message of a `SendMessage` or `SendStreamingMessage`, as a mesh task: its text parts,
/// joined with line ends, are the prompt; `metadata.skill` names the profile.
///
/// File parts with their bytes (`raw`, base64, with a `filename`) are the task's attachments;
/// file parts by `url` are refused (a node never fetches a URL a client names), and so are data
/// parts (send text). A message that continues a task (`taskId`) is refused: a mesh task takes
/// one prompt.
public struct A2AMessage: Equatable, Sendable {
    /// A file part: its name (the attachment rule, `TaskFile.nameError`) and its bytes.
    public struct File: Equatable, Sendable {
        public var name: String
        public var bytes: Bytes
    }

    /// The client's message id: it becomes the task's idempotency key (`a2a:` + id).
    public var messageId: String
    /// The text parts joined with "\n".
    public var prompt: String
    /// The file parts, in order (at most `TaskLimits.attachmentsMax`, names distinct).
    public var files: [File] = []
    /// The skill (profile) the message names, or nil for the default.
    public var skill: String?
    /// `configuration.returnImmediately`: answer once the task is accepted instead of at its end.
    public var returnsImmediately: Bool
    /// `configuration.historyLength`, nil when not given.
    public var historyLength: Int?

    /// The longest message id: the idempotency key is the id behind a 4-byte prefix.
    public static let messageIDBytesMax = TaskLimits.idempotencyKeyBytesMax - A2AProtocol.idempotencyPrefix.utf8.count

    /// The idempotency key of the task this message becomes.
    public var idempotencyKey: String { A2AProtocol.idempotencyPrefix + messageId }

    /// The task id this message becomes, on every node (the idempotency key decides it).
    public var taskID: TaskID { TaskID.idempotent(key: idempotencyKey) }

    /// Reads `params` of a send call.
    static func parse(_ params: JSONValue) throws(A2AError) -> A2AMessage {
        guard let message = params["message"], message.object != nil else {
            throw A2AError.invalidParams("params.message is required")
        }
        guard let messageId = message["messageId"]?.string, !messageId.isEmpty,
              messageId.utf8.count <= messageIDBytesMax else {
            throw A2AError.invalidParams("message.messageId must be a string of 1 to \(messageIDBytesMax) bytes")
        }
        if let taskId = message["taskId"]?.string, !taskId.isEmpty {
            throw A2AError.unsupported("a mesh task takes one message: send a new message without taskId "
                                       + "(got taskId \(A2AProtocol.cut(taskId, to: 64)))")
        }
        let (prompt, files) = try contents(of: message["parts"])
        var skill = try skill(in: message["metadata"])
        if skill == nil { skill = try Self.skill(in: params["metadata"]) }
        let configuration = params["configuration"] ?? .object([])
        guard configuration.object != nil else { throw A2AError.invalidParams("params.configuration must be an object") }
        let immediate = configuration["returnImmediately"] ?? .bool(false)
        guard let returnsImmediately = immediate.bool else {
            throw A2AError.invalidParams("configuration.returnImmediately must be true or false")
        }
        let historyLength = try A2ACall.integer(configuration["historyLength"], "configuration.historyLength", 0...1_000)
        return A2AMessage(messageId: messageId, prompt: prompt, files: files, skill: skill,
                          returnsImmediately: returnsImmediately, historyLength: historyLength)
    }

    /// The text parts joined with "\n", and the file parts; data and URL parts refused.
    private static func contents(of parts: JSONValue?) throws(A2AError) -> (String, [File]) {
        guard let parts = parts?.array, !parts.isEmpty, parts.count <= A2ALimits.partsMax else {
            throw A2AError.invalidParams("message.parts must hold 1 to \(A2ALimits.partsMax) parts")
        }
        var texts: [String] = []
        var files: [File] = []
        for (index, part) in parts.enumerated() {
            if let text = part["text"]?.string {
                texts.append(text)
            } else if let raw = part["raw"] {
                let file = try file(raw, name: part["filename"], index: index)
                guard !files.contains(where: { $0.name == file.name }), files.count < TaskLimits.attachmentsMax else {
                    throw A2AError.invalidParams("part \(index): file names must be distinct, at most \(TaskLimits.attachmentsMax) files")
                }
                files.append(file)
            } else if part["url"] != nil {
                throw A2AError.contentType("part \(index) names a file by URL: a node never fetches a URL a client names; "
                                           + "send the bytes in the part (raw)")
            } else if part["data"] != nil {
                throw A2AError.contentType("part \(index) is a data part: this node takes text and file parts")
            } else {
                throw A2AError.invalidParams("part \(index) has no text, raw, url or data")
            }
        }
        let prompt = texts.joined(separator: "\n")
        guard prompt.utf8.count <= TaskLimits.promptBytesMax else {
            throw A2AError.invalidParams("the text parts hold more than \(TaskLimits.promptBytesMax) bytes")
        }
        return (prompt, files)
    }

    /// A `raw` part: padded base64 bytes and a file name.
    private static func file(_ raw: JSONValue, name: JSONValue?, index: Int) throws(A2AError) -> File {
        guard let name = name?.string, !name.isEmpty else {
            throw A2AError.invalidParams("part \(index) is a file without a filename")
        }
        if let problem = TaskFile.nameError(name) { throw A2AError.invalidParams("part \(index): \(problem)") }
        guard let text = raw.string, let bytes = Base64.decode(text) else {
            throw A2AError.invalidParams("part \(index): raw must be padded base64")
        }
        return File(name: name, bytes: bytes)
    }

    /// `metadata.skill`, when `metadata` has one.
    private static func skill(in metadata: JSONValue?) throws(A2AError) -> String? {
        guard let metadata, !metadata.isNull else { return nil }
        guard metadata.object != nil else { throw A2AError.invalidParams("metadata must be an object") }
        guard let value = metadata[A2AProtocol.skillKey] else { return nil }
        guard let skill = value.string, !skill.isEmpty else {
            throw A2AError.invalidParams("metadata.skill must name a skill id from the agent card")
        }
        return skill
    }
}
