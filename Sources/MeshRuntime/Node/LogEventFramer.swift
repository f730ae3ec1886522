import Foundation
import MeshCore

/// Turns an attempt's log bytes into Server-Sent Events (issue 13 §1), losslessly:
///
/// - `event: log`, `id: A:N`, one `data:` line per line of the bytes, when the bytes are valid
///   UTF-8 without CR (a client joins the `data:` lines with LF and gets the bytes back exactly);
/// - `event: log64`, same `id:`, one `data:` line of base64, for bytes that are not (invalid
///   UTF-8, or CR, which SSE would turn into a line end): nothing is lost or replaced.
///
/// `N` is the byte offset just after the event's bytes in attempt `A`'s log, so a client that
/// reconnects with `Last-Event-ID: A:N` gets exactly the bytes after. A UTF-8 sequence cut at a
/// chunk's end is held back (at most 3 bytes) until its rest comes.
struct LogEventFramer {
    /// The attempt whose log this is.
    let attempt: UInt32
    /// The offset after the last byte sent in an event.
    private(set) var offset: UInt64
    private var held: Bytes = []

    init(attempt: UInt32, offset: UInt64) { self.attempt = attempt; self.offset = offset }

    /// The cursor of the bytes sent so far: `A:N`.
    var cursor: String { "\(attempt):\(offset)" }

    /// The events for `bytes` (empty when all of them are held back).
    mutating func frame(_ bytes: Bytes) -> Bytes {
        var all = held + bytes
        let keep = Self.cutSequenceLength(all)
        held = Array(all.suffix(keep))
        all.removeLast(keep)
        return event(all)
    }

    /// The held-back bytes, if any (the log ended inside a UTF-8 sequence): one `log64` event.
    mutating func flush() -> Bytes {
        let rest = held
        held = []
        return event(rest)
    }

    /// `event: end` with the cursor and what is known of the attempt's end.
    func end(state: String?) -> Bytes {
        var fields: [(String, JSONValue)] = [("attempt", .integer(Int64(attempt))), ("offset", .unsigned(offset))]
        if let state { fields.append(("state", .string(state))) }
        return Array("event: end\nid: \(cursor)\ndata: \(JSONValue.object(fields).serialized())\n\n".utf8)
    }

    private mutating func event(_ bytes: Bytes) -> Bytes {
        guard !bytes.isEmpty else { return [] }
        offset &+= UInt64(bytes.count)
        let text = String(decoding: bytes, as: UTF8.self)
        if !bytes.contains(13), Array(text.utf8) == bytes {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { "data: " + $0 + "\n" }
            return Array(("event: log\nid: \(cursor)\n" + lines.joined() + "\n").utf8)
        }
        return Array("event: log64\nid: \(cursor)\ndata: \(Data(bytes).base64EncodedString())\n\n".utf8)
    }

    /// How many bytes at the end of `bytes` start a UTF-8 sequence that is not complete yet.
    static func cutSequenceLength(_ bytes: Bytes) -> Int {
        guard !bytes.isEmpty else { return 0 }
        for back in 1...min(3, bytes.count) {
            let byte = bytes[bytes.count - back]
            guard byte & 0xC0 == 0x80 else {
                let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
                return length > back && byte < 0xF8 ? back : 0
            }
        }
        return 0
    }

    /// `A:N` from a `Last-Event-ID` header; nil when it is not one.
    static func cursor(_ text: String) -> (attempt: UInt32, offset: UInt64)? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let attempt = UInt32(parts[0]), attempt >= 1, attempt <= UInt32.max / 2,
              let offset = UInt64(parts[1]), offset <= TaskLimits.fileBytesCeiling else { return nil }
        return (attempt, offset)
    }
}
