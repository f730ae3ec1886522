import MeshTestSupport
import Dispatch
import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import Testing

/// Streamed answers of the control server (`StreamingAnswer`, the A2A streams): chunked bytes as
/// they are sent, the end noticed when the client goes away, and a limit on open streams.
@Suite("Control server: streamed answers", .serialized, .timeLimit(.minutes(2)))
struct ControlServerStreamingTests {
    /// Whether a stream's end was reported, read and written on the server's queue.
    final class Flag: @unchecked Sendable {
        var isSet = false
    }

    /// A server on 127.0.81.`host`: `/stream` writes two chunks and finishes; `/open` stays open
    /// and sets `ended` when it ends.
    static func server(_ host: UInt8, ended: Flag, streamsMax: Int = 16) throws -> (ControlServer, DispatchQueue, Int) {
        let queue = DispatchQueue(label: "test.control.streaming.\(host)")
        var settings = ControlServer.Settings()
        settings.streamsMax = streamsMax
        let server = try ControlServer(endpoint: .ipv4(Address(127, 0, 81, host, port: 0)), token: nil, settings: settings,
                                       queue: queue) { request in
            let answer = StreamingAnswer { answer in
                guard request.path == "/stream" else { return }
                answer.send(Array("hello".utf8))
                answer.send([])
                answer.send(Array("world".utf8))
                answer.finish()
            }
            answer.onEnd = { if request.path == "/open" { ended.isSet = true } }
            return .streaming(contentType: "text/event-stream", answer)
        }
        queue.sync { server.start() }
        return (server, queue, Int(server.endpoint.port))
    }

    static func get(_ path: String, _ host: UInt8, _ port: Int) -> String {
        "GET \(path) HTTP/1.1\r\nHost: 127.0.81.\(host):\(port)\r\n\r\n"
    }

    @Test("the head goes out chunked and closing; each send is one chunk; finish ends the body and the connection")
    func chunks() throws {
        let ended = Flag()
        let (server, queue, port) = try Self.server(10, ended: ended)
        defer { queue.sync { server.stop() } }
        let answer = RawHTTP.exchange("127.0.81.10", port, Self.get("/stream", 10, port))
        #expect(answer.status == 200)
        #expect(answer.response.contains("Content-Type: text/event-stream\r\n"))
        #expect(answer.response.contains("Transfer-Encoding: chunked\r\n") && answer.response.contains("Connection: close\r\n"))
        #expect(!answer.response.contains("Content-Length"))
        #expect(answer.response.hasSuffix("\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n"), "\(answer.response)")
    }

    @Test("a client that goes away ends the answer (its timers stop), and the slot is free again")
    func clientLeaves() throws {
        let ended = Flag()
        let (server, queue, port) = try Self.server(11, ended: ended, streamsMax: 1)
        defer { queue.sync { server.stop() } }
        let fd = try #require(RawHTTP.connect("127.0.81.11", port))
        #expect(RawHTTP.send(fd, Array(Self.get("/open", 11, port).utf8)))
        var head = [UInt8](repeating: 0, count: 512)
        #expect(recv(fd, &head, head.count, 0) > 0, "the head arrives before any body")
        #expect(!queue.sync { ended.isSet })
        close(fd)
        let deadline = Date().addingTimeInterval(5)
        while !queue.sync(execute: { ended.isSet }) && Date() < deadline { usleep(10_000) }   // poll with a deadline
        #expect(queue.sync { ended.isSet })
        #expect(RawHTTP.exchange("127.0.81.11", port, Self.get("/stream", 11, port)).status == 200, "the one slot is free again")
    }

    @Test("past streamsMax a new stream is answered 503 and the open one goes on")
    func limit() throws {
        let ended = Flag()
        let (server, queue, port) = try Self.server(12, ended: ended, streamsMax: 1)
        defer { queue.sync { server.stop() } }
        let fd = try #require(RawHTTP.connect("127.0.81.12", port))
        defer { close(fd) }
        #expect(RawHTTP.send(fd, Array(Self.get("/open", 12, port).utf8)))
        var head = [UInt8](repeating: 0, count: 512)
        #expect(recv(fd, &head, head.count, 0) > 0)
        let refused = RawHTTP.exchange("127.0.81.12", port, Self.get("/stream", 12, port))
        #expect(refused.status == 503, "\(refused.response)")
        #expect(!queue.sync { ended.isSet }, "the open stream is untouched")
    }
}
