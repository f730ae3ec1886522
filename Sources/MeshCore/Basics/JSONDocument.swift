/// A parsed JSON document that remembers where each value starts, so that a reader can say
/// where a value that parsed but is wrong for it stands (a file's `"nodes": "five"`).
public struct JSONDocument: Sendable {
    /// The document's value.
    public let root: JSONValue
    /// Where each value starts (a byte offset), by its path: "" for the root, `.key` for a member
    /// of an object, `[i]` for an item of a list, nested (`.events[3].node`).
    private let offsets: [String: Int]
    /// The text's bytes, for turning an offset into a line and column.
    private let bytes: [UInt8]

    /// Parses `text` as `JSONValue.parse` does (same errors, with line and column), remembering paths.
    public init(parsing text: String) throws(JSONError) {
        var parser = JSONParser(Array(text.utf8))
        parser.offsets = [:]
        root = try parser.document()
        offsets = parser.offsets ?? [:]
        bytes = parser.bytes
    }

    /// `line L, column C` of the value at `path`, or of its nearest enclosing value that exists
    /// (the object that lacks a required key); columns count bytes, from 1.
    public func location(of path: String) -> String {
        var path = path
        while true {
            if let offset = offsets[path] { return JSONParser.location(of: offset, in: bytes) }
            guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { return "line 1, column 1" }
            path = String(path[..<cut])
        }
    }
}
