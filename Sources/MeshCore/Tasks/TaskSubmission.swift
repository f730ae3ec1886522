/// The JSON body of `POST /v1/tasks`, read strictly: unknown fields are refused and every error
/// names its field (the API answers `400` with `TaskFieldError.description`).
///
/// ```json
/// {"profile": "claude", "prompt": "…", "affinity": "repo:site", "tags": ["gpu"],
///  "timeout": "90s", "attempts": 3, "idempotencyKey": "build-42", "expect": ["report.md"]}
/// ```
/// `profile` and `prompt` are required; the rest are optional. `timeout` is a duration string
/// (`TaskDuration`), `attempts` a whole number.
public enum TaskSubmission {
    /// The fields a body may hold, in the order the errors check them.
    public static let fields = ["profile", "prompt", "affinity", "tags", "timeout", "attempts", "idempotencyKey", "expect", "attachments"]
    /// The largest body accepted: the largest prompt, each byte escaped as `\uXXXX`, plus room for
    /// the other fields.
    public static let bodyBytesMax = 6 * TaskLimits.promptBytesMax + 16_384

    /// Parses and validates a submission body.
    public static func parse(_ body: String) throws(TaskFieldError) -> TaskSpec {
        guard body.utf8.count <= bodyBytesMax else { throw TaskFieldError("body", "must be at most \(bodyBytesMax) bytes") }
        let document: JSONValue
        do { document = try JSONValue.parse(body) } catch { throw TaskFieldError("body", "is not JSON: \(error)") }
        guard let members = document.object else { throw TaskFieldError("body", "must be a JSON object") }
        if let unknown = members.first(where: { !fields.contains($0.0) }) {
            throw TaskFieldError(String(TaskEvent.cut(unknown.0, to: 64)), "is not a task field (known: \(fields.joined(separator: ", ")))")
        }
        var spec = TaskSpec(profile: try requiredString(document, "profile"), prompt: try requiredString(document, "prompt"))
        if let affinity = try optionalString(document, "affinity") { spec.affinity = affinity }
        if let tags = document["tags"] { spec.tags = try strings(tags, field: "tags") }
        if let timeout = try optionalString(document, "timeout") {
            guard let duration = TaskDuration.parse(timeout) else {
                throw TaskFieldError("timeout", "must be a duration like 90s, 5m or 1h")
            }
            spec.timeout = duration
        }
        if let attempts = document["attempts"] {
            guard let count = attempts.integer, count >= Int64(TaskLimits.attemptsMin), count <= Int64(TaskLimits.attemptsMax) else {
                throw TaskFieldError("attempts", "must be a whole number between \(TaskLimits.attemptsMin) and \(TaskLimits.attemptsMax)")
            }
            spec.attemptsMax = UInt32(count)
        }
        spec.idempotencyKey = try optionalString(document, "idempotencyKey")
        if let expect = document["expect"] { spec.expect = try names(expect, field: "expect", max: TaskLimits.expectedOutputsMax) }
        if let attachments = document["attachments"] { spec.attachments = try files(attachments, field: "attachments") }
        if let problem = spec.validationError() { throw problem }
        return spec
    }

    /// The body that `parse` reads back as `spec` (for clients: the CLI's `mesh submit`).
    public static func json(_ spec: TaskSpec) -> JSONValue {
        var members: [(String, JSONValue)] = [("profile", .string(spec.profile)), ("prompt", .string(spec.prompt))]
        if !spec.affinity.isEmpty { members.append(("affinity", .string(spec.affinity))) }
        if !spec.tags.isEmpty { members.append(("tags", .array(spec.tags.map { .string($0) }))) }
        members.append(("timeout", .string(TaskDuration.text(spec.timeout))))
        members.append(("attempts", .integer(Int64(spec.attemptsMax))))
        if let key = spec.idempotencyKey { members.append(("idempotencyKey", .string(key))) }
        if !spec.expect.isEmpty { members.append(("expect", .array(spec.expect.map { .string($0) }))) }
        if !spec.attachments.isEmpty { members.append(("attachments", .array(spec.attachments.map(\.json)))) }
        return .object(members)
    }

    private static func requiredString(_ document: JSONValue, _ field: String) throws(TaskFieldError) -> String {
        guard let value = try optionalString(document, field) else { throw TaskFieldError(field, "is required") }
        return value
    }

    private static func optionalString(_ document: JSONValue, _ field: String) throws(TaskFieldError) -> String? {
        guard let value = document[field] else { return nil }
        guard let text = value.string else { throw TaskFieldError(field, "must be a string") }
        return text
    }

    private static func files(_ value: JSONValue, field: String) throws(TaskFieldError) -> [TaskFile] {
        guard let items = value.array else { throw TaskFieldError(field, "must be an array of {name, size, sha256}") }
        guard items.count <= TaskLimits.attachmentsMax else { throw TaskFieldError(field, "at most \(TaskLimits.attachmentsMax) attachments") }
        var result: [TaskFile] = []
        for item in items { result.append(try TaskFile.parse(item, field: field)) }
        return result
    }

    private static func strings(_ value: JSONValue, field: String) throws(TaskFieldError) -> [String] {
        try names(value, field: field, max: TaskLimits.tagsMax)
    }

    private static func names(_ value: JSONValue, field: String, max: Int) throws(TaskFieldError) -> [String] {
        guard let items = value.array else { throw TaskFieldError(field, "must be an array of strings") }
        guard items.count <= max else { throw TaskFieldError(field, "at most \(max) entries") }
        var result: [String] = []
        for item in items {
            guard let text = item.string else { throw TaskFieldError(field, "must be an array of strings") }
            result.append(text)
        }
        return result
    }
}

/// Durations as people write them: a whole number and a unit, `ms`, `s`, `m` or `h`, possibly
/// several in a row (`1h30m`). `90s`, `5m`, `1h`, `1500ms`.
public enum TaskDuration {
    /// The longest text accepted.
    public static let textBytesMax = 32

    /// The duration `text` stands for, or nil when it is not one (or above `TaskLimits.timeoutMax`
    /// times two, which no caller accepts).
    public static func parse(_ text: String) -> Nanoseconds? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= textBytesMax else { return nil }
        var total: Nanoseconds = 0
        var index = 0
        while index < bytes.count {
            var number: Int64 = 0
            let start = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                number = number * 10 + Int64(bytes[index] - 0x30)
                guard number <= 1_000_000_000 else { return nil }
                index += 1
            }
            guard index > start, let (unit, length) = unit(bytes, at: index) else { return nil }
            index += length
            total += number * unit
            guard total <= 2 * TaskLimits.timeoutMax else { return nil }
        }
        return total
    }

    /// The shortest text `parse` reads back as `duration` (`90s`, `5m`, `1h`, `1500ms`).
    public static func text(_ duration: Nanoseconds) -> String {
        for (unit, name) in [(Nanoseconds.seconds(3_600), "h"), (.seconds(60), "m"), (.seconds(1), "s")]
        where duration > 0 && duration % unit == 0 { return "\(duration / unit)\(name)" }
        return "\(duration / 1_000_000)ms"
    }

    private static func unit(_ bytes: [UInt8], at index: Int) -> (Nanoseconds, Int)? {
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "h"): return (.seconds(3_600), 1)
        case UInt8(ascii: "s"): return (.seconds(1), 1)
        case UInt8(ascii: "m"):
            if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "s") { return (.milliseconds(1), 2) }
            return (.seconds(60), 1)
        default: return nil
        }
    }
}
