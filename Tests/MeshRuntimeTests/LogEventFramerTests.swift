import Foundation
import MeshCore
@testable import MeshRuntime
import Testing

/// `LogEventFramer`: log bytes as lossless Server-Sent Events whose ids are byte cursors.
@Suite("Log events framer")
struct LogEventFramerTests {
    @Test("a UTF-8 sequence cut between chunks is held back, so the text event carries it whole and the id counts it once")
    func cutSequence() {
        var framer = LogEventFramer(attempt: 2, offset: 10)
        let text = Array("héllo\n".utf8)
        let first = framer.frame(Array(text[0..<2]))
        #expect(String(decoding: first, as: UTF8.self) == "event: log\nid: 2:11\ndata: h\n\n")
        let second = framer.frame(Array(text[2...]))
        #expect(String(decoding: second, as: UTF8.self) == "event: log\nid: 2:17\ndata: éllo\ndata: \n\n")
        #expect(framer.flush().isEmpty && framer.cursor == "2:17")
        #expect(framer.frame([]).isEmpty && framer.cursor == "2:17", "an empty chunk sends nothing")
    }

    @Test("invalid UTF-8, a CR, or a log ending inside a sequence go as base64 log64 events")
    func base64() {
        var framer = LogEventFramer(attempt: 1, offset: 0)
        #expect(String(decoding: framer.frame([0x61, 0xFF]), as: UTF8.self) == "event: log64\nid: 1:2\ndata: Yf8=\n\n")
        #expect(String(decoding: framer.frame([0x61, 13, 10]), as: UTF8.self) == "event: log64\nid: 1:5\ndata: YQ0K\n\n")
        #expect(framer.frame([0xE2, 0x82]).isEmpty)
        #expect(String(decoding: framer.flush(), as: UTF8.self) == "event: log64\nid: 1:7\ndata: 4oI=\n\n")
        #expect(String(decoding: framer.end(state: "succeeded"), as: UTF8.self)
                == "event: end\nid: 1:7\ndata: {\"attempt\":1,\"offset\":7,\"state\":\"succeeded\"}\n\n")
    }

    @Test("Last-Event-ID cursors: A:N only, hostile numbers refused")
    func cursors() {
        #expect(LogEventFramer.cursor("3:42")! == (3, 42))
        for bad in ["", "3", "0:1", "3:-1", "3:1:2", "x:1", "3:99999999999999999999", "4294967295:0", " 3:4"] {
            #expect(LogEventFramer.cursor(bad) == nil, "\(bad)")
        }
    }
}
