import Glibc

/// Small text and environment helpers, so the node's own code paths need no Foundation.
public enum Text {
    /// `text` without leading and trailing spaces, tabs and line ends.
    public static func trimmed(_ text: some StringProtocol) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let start = text.firstIndex(where: { !isSpace($0) }) else { return "" }
        let end = text.lastIndex(where: { !isSpace($0) })!
        return String(text[start...end])
    }

    /// The directory part of a path ("" for a bare file name).
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The process environment, read from `environ`.
    public static func environment() -> [String: String] {
        var result: [String: String] = [:]
        var cursor = environ
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            cursor += 1
        }
        return result
    }

    /// `text` as one printable line: every control character (C0, DEL, C1: line ends, escape
    /// sequences) becomes a space, runs of spaces become one, and the ends are trimmed. For text
    /// from elsewhere (another server's answer) that is about to reach a terminal.
    public static func printableLine(_ text: some StringProtocol) -> String {
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let isControl = scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
            let next: Unicode.Scalar = isControl ? " " : scalar
            if next == " ", result.last == " " { continue }
            result.append(next)
        }
        return trimmed(String(result))
    }

    /// `value` in decimal, left-padded with zeros to `width`.
    public static func padded(_ value: Int, width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
