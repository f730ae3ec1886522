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
///
/// Messages and values may carry names from the wire, so no control character reaches the output
/// raw (issue 7): an escape sequence could rewrite the operator's terminal, a line end could forge a
/// log line. In text, a value holding a space, `"`, `=`, `\`, a control character or nothing is
/// quoted and escaped like a JSON string, and control characters in the message are escaped the
/// same way; JSON lines escape them as JSON strings (C0, DEL and C1 all as `\u00XX`).
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

    /// Writes one line at `lineLevel` when the logger's level lets it through.
    public func log(_ lineLevel: LogLevel, _ message: String, _ fields: KeyValuePairs<String, String>) {
        guard lineLevel >= level else { return }
        var bytes = Array((line(lineLevel, message, fields, time: Logger.timestamp()) + "\n").utf8)
        _ = bytes.withUnsafeMutableBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    /// The line (without its line end) in this logger's format.
    func line(_ lineLevel: LogLevel, _ message: String, _ fields: KeyValuePairs<String, String>, time: String) -> String {
        format == .json ? jsonLine(lineLevel, message, fields, time: time) : textLine(lineLevel, message, fields, time: time)
    }

    private func textLine(_ lineLevel: LogLevel, _ message: String, _ fields: KeyValuePairs<String, String>,
                          time: String) -> String {
        let levelText = lineLevel.rawValue + String(repeating: " ", count: 5 - lineLevel.rawValue.count)
        var line = time + " " + levelText + " " + Logger.escapingControls(message)
        for (key, value) in fields {
            let needsQuotes = value.isEmpty || value.unicodeScalars.contains {
                $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\\" || JSONValue.isControl($0)
            }
            line += " " + Logger.escapingControls(key) + "=" + (needsQuotes ? JSONValue.quote(value) : value)
        }
        return line
    }

    private func jsonLine(_ lineLevel: LogLevel, _ message: String, _ fields: KeyValuePairs<String, String>,
                          time: String) -> String {
        var line = "{\"time\":\"\(time)\",\"level\":\"\(lineLevel.rawValue)\",\"message\":" + JSONValue.quote(message)
        for (key, value) in fields { line += "," + JSONValue.quote(key) + ":" + JSONValue.quote(value) }
        return line + "}"
    }

    /// `text` with each control character written as a JSON string would write it (`\n`, `\u001b`).
    static func escapingControls(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: JSONValue.isControl) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if JSONValue.isControl(scalar) {
                out += String(JSONValue.quote(String(scalar)).dropFirst().dropLast())
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
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
