/// Attachments of a task (issue 10 §2): checks, the JSON form and the binary form. The bytes never
/// travel with the spec: the spec carries name, size and SHA-256, and each node that stores the
/// task holds the blob (content-addressed by its hash) before it does.
extension TaskFile {
    /// The record `{"name", "size", "sha256"}` read from JSON, or why not (for a field error).
    public static func parse(_ value: JSONValue, field: String = "attachments") throws(TaskFieldError) -> TaskFile {
        guard let name = value["name"]?.string else { throw TaskFieldError(field, "each file needs a string 'name'") }
        if let problem = nameError(name) { throw TaskFieldError(field, "'\(TaskEvent.cut(name, to: 64))': \(problem)") }
        guard let size = value["size"]?.unsigned, size <= TaskLimits.fileBytesCeiling else {
            throw TaskFieldError(field, "'\(name)': 'size' must be a whole number of bytes")
        }
        guard let hex = value["sha256"]?.string, let hash = sha256(hex: hex) else {
            throw TaskFieldError(field, "'\(name)': 'sha256' must be 64 hex digits")
        }
        return TaskFile(name: name, size: size, sha256: hash)
    }

    /// The 32 bytes 64 hex digits (either case) spell, or nil.
    public static func sha256(hex: String) -> Bytes? {
        let digits = Array(hex.utf8)
        guard digits.count == 2 * SHA256.byteCount else { return nil }
        var bytes = Bytes()
        bytes.reserveCapacity(SHA256.byteCount)
        var index = 0
        while index < digits.count {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case 0x30...0x39: digit - 0x30
        case 0x41...0x46: digit - 0x41 + 10
        case 0x61...0x66: digit - 0x61 + 10
        default: nil
        }
    }

    /// Why `files` cannot be a task's attachments, or nil: at most `TaskLimits.attachmentsMax`,
    /// each name passes `nameError` and is used once (they all land in one `inbox/`), each hash is
    /// 32 bytes, and no name is `prompt.md` (the inbox file the prompt is written to).
    public static func attachmentsError(_ files: [TaskFile]) -> String? {
        if files.count > TaskLimits.attachmentsMax { return "at most \(TaskLimits.attachmentsMax) attachments" }
        var names: Set<String> = []
        for file in files {
            if let problem = nameError(file.name) { return "attachment '\(TaskEvent.cut(file.name, to: 64))': \(problem)" }
            if file.name == promptFileName { return "'\(promptFileName)' is reserved for the prompt" }
            if file.sha256.count != SHA256.byteCount { return "attachment '\(file.name)': the hash must be 32 bytes" }
            if !names.insert(file.name).inserted { return "attachment '\(file.name)' is named twice" }
        }
        return nil
    }

    /// The inbox file that holds the prompt (no attachment may take its name).
    public static let promptFileName = "prompt.md"

    /// The bytes `files` take in the binary form (an upper bound: varints counted at 10 bytes).
    public static func encodedBytes(_ files: [TaskFile]) -> Int {
        files.reduce(files.isEmpty ? 0 : 1) { $0 + 1 + $1.name.utf8.count + 10 + SHA256.byteCount }
    }

    /// Appends `file`: name(short) size(varint) sha256(32).
    static func write(_ file: TaskFile, to w: inout ByteWriter) {
        w.shortString(file.name)
        w.varint(file.size)
        w.raw(file.sha256)
    }

    /// Reads what `write` wrote; the name must pass `nameError`.
    static func read(_ r: inout ByteReader) throws(DecodeError) -> TaskFile {
        let name = try r.shortString(limit: TaskLimits.fileNameBytesMax)
        guard nameError(name) == nil else { throw .malformed }
        let size = try r.varint()
        guard size <= TaskLimits.fileBytesCeiling else { throw .counterOutOfRange }
        return TaskFile(name: name, size: size, sha256: Array(try r.raw(SHA256.byteCount)))
    }
}

extension TaskLimits {
    /// The largest file size a task record may claim from the log or the wire (1 TiB): far above
    /// any node's settable limit, low enough that sums of `attachmentsMax` sizes never overflow.
    public static let fileBytesCeiling: UInt64 = 1 << 40
}
