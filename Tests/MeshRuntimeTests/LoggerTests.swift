@testable import MeshRuntime
import Testing

/// Log lines carry names and values from the wire: no byte of them may move the cursor, start an
/// escape sequence or begin a forged line (issue 7).
@Suite("Logger: escaping of what the wire says")
struct LoggerTests {
    static let time = "2025-01-02T03:04:05.678Z"
    static let hostile = "evil\u{1B}[2J\nfake 2025-01-01T00:00:00.000Z error  member dead\r\u{7F}\u{9B}\u{07}\t"

    /// True when `line` holds no C0 control, DEL or C1 control character.
    static func isClean(_ line: String) -> Bool {
        line.unicodeScalars.allSatisfy { !($0.value < 0x20 || (0x7F...0x9F).contains($0.value)) }
    }

    @Test("text format: plain values stay bare, others are quoted with every control character escaped")
    func text() {
        let logger = Logger(format: .text)
        #expect(logger.line(.info, "member alive", ["name": "b", "incarnation": "1"], time: Self.time)
            == "2025-01-02T03:04:05.678Z info  member alive name=b incarnation=1")
        let line = logger.line(.warn, "from \(Self.hostile)", ["name": Self.hostile, "empty": ""], time: Self.time)
        #expect(Self.isClean(line), "\(line.debugDescription)")
        #expect(line.contains(#"name="evil\u001b[2J\nfake"#), "\(line)")
        #expect(line.contains(#"\r\u007f\u009b\u0007\t""#), "\(line)")
        #expect(line.contains(#"empty="""#))
        #expect(line.hasPrefix("2025-01-02T03:04:05.678Z warn  from evil\\u001b[2J\\nfake"), "\(line)")
    }

    @Test("text format: a backslash or a quote in a value is quoted, so no value can pass for an escape")
    func textQuoting() {
        let line = Logger(format: .text).line(.info, "m", ["a": #"x\u001b"#, "b": "say \"hi\""], time: Self.time)
        #expect(line.hasSuffix(#" a="x\\u001b" b="say \"hi\"""#), "\(line)")
    }

    @Test("json format: one JSON object per line, control characters escaped, values read back intact")
    func json() throws {
        let line = Logger(format: .json).line(.error, Self.hostile, ["name": Self.hostile], time: Self.time)
        #expect(Self.isClean(line), "\(line.debugDescription)")
        let value = try JSONValue.parse(line)
        #expect(value["message"]?.string == Self.hostile)
        #expect(value["name"]?.string == Self.hostile)
        #expect(value["level"]?.string == "error" && value["time"]?.string == Self.time)
    }
}
