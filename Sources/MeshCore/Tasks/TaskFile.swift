/// A file that belongs to a task: an attachment the submitter sent (it lands in `inbox/`) or an
/// artifact an attempt produced (found in `artifacts/`). Content-addressed: the SHA-256 of the bytes
/// is the proof a reader checks, and the history carries name, size and hash (never the bytes).
public struct TaskFile: Equatable, Sendable {
    /// The sanitized base name (see `TaskFile.nameError`).
    public var name: String
    /// The size in bytes.
    public var size: UInt64
    /// The SHA-256 of the bytes (32 bytes).
    public var sha256: Bytes

    /// A file record; check the name with `nameError` first when it came from outside.
    public init(name: String, size: UInt64, sha256: Bytes) {
        self.name = name; self.size = size; self.sha256 = sha256
    }

    /// The hash as 64 lower-case hex digits.
    public var sha256Hex: String { MeshKey.hex(sha256) }

    /// The record as the API prints it: `{"name", "size", "sha256"}`.
    public var json: JSONValue {
        .object([("name", .string(name)), ("size", .integer(Int64(clamping: size))), ("sha256", .string(sha256Hex))])
    }

    /// Why `name` cannot name a task file, or nil when it can: a base name of 1 to
    /// `TaskLimits.fileNameBytesMax` bytes, no `/` or `\`, not `.` or `..`, no control characters
    /// (below 0x20 and 0x7F), not starting with `-` (so a name never reads as a flag), valid UTF-8
    /// by construction. The same rule holds for attachments, declared outputs and artifacts.
    public static func nameError(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        if bytes.isEmpty || bytes.count > TaskLimits.fileNameBytesMax {
            return "a file name must be 1 to \(TaskLimits.fileNameBytesMax) bytes"
        }
        if name == "." || name == ".." { return "'\(name)' is not a file name" }
        if bytes.contains(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "\\") }) {
            return "a file name must be a base name (no '/' or '\\')"
        }
        if bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) { return "a file name must not contain control characters" }
        if bytes[0] == UInt8(ascii: "-") { return "a file name must not start with '-'" }
        return nil
    }
}
