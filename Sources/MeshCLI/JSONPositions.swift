/// Where each value of a JSON document starts, by path (`profiles[1].slots`), as "line L, column C":
/// so a config error about a value that parsed fine (slots out of range, a bad tag) can point at it.
///
/// Runs only on text `JSONValue.parse` has accepted, so it can be a plain scanner: it never
/// decides whether the text is valid, only where things are.
struct JSONPositions {
    private var positions: [String: String] = [:]

    /// Scans `text` (already known to be valid JSON).
    init(_ text: String) {
        var scanner = Scanner(bytes: Array(text.utf8))
        scanner.value(path: "", into: &positions)
    }

    /// "line L, column C" of the value at `path`, or of the whole document when the path is unknown.
    func position(of path: String) -> String { positions[path] ?? positions[""] ?? "line 1, column 1" }

    private struct Scanner {
        let bytes: [UInt8]
        var offset = 0
        var line = 1
        var column = 1

        mutating func advance() {
            if bytes[offset] == 10 { line += 1; column = 1 } else { column += 1 }
            offset += 1
        }

        mutating func skipWhitespace() {
            while offset < bytes.count, [32, 9, 10, 13].contains(bytes[offset]) { advance() }
        }

        mutating func value(path: String, into positions: inout [String: String]) {
            skipWhitespace()
            guard offset < bytes.count else { return }
            positions[path] = "line \(line), column \(column)"
            switch bytes[offset] {
            case UInt8(ascii: "{"): members(path: path, into: &positions)
            case UInt8(ascii: "["): elements(path: path, into: &positions)
            case UInt8(ascii: "\""): _ = string()
            default:
                while offset < bytes.count, ![44, 93, 125, 32, 9, 10, 13].contains(bytes[offset]) { advance() }
            }
        }

        mutating func members(path: String, into positions: inout [String: String]) {
            advance()
            while true {
                skipWhitespace()
                guard offset < bytes.count, bytes[offset] != UInt8(ascii: "}") else { break }
                if bytes[offset] == UInt8(ascii: ",") { advance(); continue }
                let key = string()
                skipWhitespace()
                if offset < bytes.count { advance() }   // the colon
                value(path: path.isEmpty ? key : path + "." + key, into: &positions)
            }
            if offset < bytes.count { advance() }
        }

        mutating func elements(path: String, into positions: inout [String: String]) {
            advance()
            var index = 0
            while true {
                skipWhitespace()
                guard offset < bytes.count, bytes[offset] != UInt8(ascii: "]") else { break }
                if bytes[offset] == UInt8(ascii: ",") { advance(); continue }
                value(path: "\(path)[\(index)]", into: &positions)
                index += 1
            }
            if offset < bytes.count { advance() }
        }

        /// Reads a string (the opening quote is at `offset`); escapes are kept as written, which is
        /// enough for the plain keys of a config.
        mutating func string() -> String {
            advance()
            var raw: [UInt8] = []
            while offset < bytes.count, bytes[offset] != UInt8(ascii: "\"") {
                if bytes[offset] == UInt8(ascii: "\\") { raw.append(bytes[offset]); advance() }
                if offset < bytes.count { raw.append(bytes[offset]); advance() }
            }
            if offset < bytes.count { advance() }
            return String(decoding: raw, as: UTF8.self)
        }
    }
}
