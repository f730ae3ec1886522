import Glibc

/// How much the node logs.
public enum LogLevel: String, CaseIterable, Comparable, Sendable {
    case debug, info, warn, error

    private var rank: Int { LogLevel.allCases.firstIndex(of: self)! }
    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rank < rhs.rank }
}

/// How log lines look: `text` for people, `json` (one object per line) for collectors.
public enum LogFormat: String, CaseIterable, Sendable {
    case text, json
}

/// Writes log lines to standard error, one `write(2)` per line so lines from threads never interleave.
///
/// Text: `2025-01-02T03:04:05.678Z info  member alive name=b incarnation=1`.
/// JSON: `{"time":"…","level":"info","message":"member alive","name":"b","incarnation":"1"}`.
public struct Logger: Sendable {
    public var level: LogLevel
    public var format: LogFormat

    public init(level: LogLevel = .info, format: LogFormat = .text) {
        self.level = level
        self.format = format
    }

    public func debug(_ message: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.debug, message, fields) }
    public func info(_ message: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.info, message, fields) }
    public func warn(_ message: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.warn, message, fields) }
    public func error(_ message: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.error, message, fields) }

    public func log(_ lineLevel: LogLevel, _ message: String, _ fields: KeyValuePairs<String, String>) {
        guard lineLevel >= level else { return }
        let line = format == .json ? jsonLine(lineLevel, message, fields) : textLine(lineLevel, message, fields)
        var bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeMutableBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    private func textLine(_ lineLevel: LogLevel, _ message: String, _ fields: KeyValuePairs<String, String>) -> String {
        let levelText = lineLevel.rawValue + String(repeating: " ", count: 5 - lineLevel.rawValue.count)
        var line = Logger.timestamp() + " " + levelText + " " + message
        for (key, value) in fields {
            let needsQuotes = value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" })
            line += " \(key)=" + (needsQuotes ? JSONValue.quote(value) : value)
        }
        return line
    }

    private func jsonLine(_ lineLevel: LogLevel, _ message: String, _ fields: KeyValuePairs<String, String>) -> String {
        var line = "{\"time\":\"\(Logger.timestamp())\",\"level\":\"\(lineLevel.rawValue)\",\"message\":" + JSONValue.quote(message)
        for (key, value) in fields { line += "," + JSONValue.quote(key) + ":" + JSONValue.quote(value) }
        return line + "}"
    }

    /// UTC time with milliseconds, RFC 3339: `2025-01-02T03:04:05.678Z`.
    public static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let pad = Text.padded
        return pad(Int(parts.tm_year) + 1900, 4) + "-" + pad(Int(parts.tm_mon) + 1, 2) + "-" + pad(Int(parts.tm_mday), 2)
            + "T" + pad(Int(parts.tm_hour), 2) + ":" + pad(Int(parts.tm_min), 2) + ":" + pad(Int(parts.tm_sec), 2)
            + "." + pad(Int(now.tv_nsec / 1_000_000), 3) + "Z"
    }
}
