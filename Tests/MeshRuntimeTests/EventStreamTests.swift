import MeshTestSupport
import Dispatch
import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import Testing

/// Server-Sent Events on the control server, with real sockets on 127.0.79.x: the wire format,
/// keep-alive comments on a silent stream, the owner told when the client leaves, the limits on
/// open streams (per source and in all) and a reader that stops reading cut off.
@Suite("Control server: event streams", .timeLimit(.minutes(2)))
struct EventStreamTests {
    /// The streams a test server opened, touched on its queue only.
    final class Streams: @unchecked Sendable {
        var open: [EventStream] = []
        var closed = 0
    }

    static func server(_ host: UInt8, _ settings: ControlServer.Settings = ControlServer.Settings())
        throws -> (ControlServer, DispatchQueue, Streams) {
        let queue = DispatchQueue(label: "test.control.events.\(host)")
        let streams = Streams()
        let server = try ControlServer(endpoint: .ipv4(Address(127, 0, 79, host, port: 0)), token: nil, settings: settings,
                                       queue: queue, handler: { request in
            guard request.path == "/events" || request.path == "/fast" else { return .error(404, "no") }
            return .eventStream(keepAliveInterval: request.path == "/fast" ? .milliseconds(100) : nil) { stream in
                streams.open.append(stream)
                stream.onClose = { streams.closed += 1 }
            }
        })
        queue.sync { server.start() }
        return (server, queue, streams)
    }

    /// Opens a stream on a new connection; returns the socket once the head has arrived.
    static func open(_ server: ControlServer, source: String) throws -> (fd: Int32, head: String) {
        let fd = try #require(connect(from: source, to: server.endpoint))
        #expect(RawHTTP.send(fd, Array("GET /events HTTP/1.1\r\nHost: \(server.endpoint)\r\nAccept: text/event-stream\r\n\r\n".utf8)))
        return (fd, read(fd, until: { $0.contains("\r\n\r\n") }))
    }

    /// A TCP connection from `source` (an address on lo) to `endpoint`, with 2 s socket timeouts.
    static func connect(from source: String, to endpoint: SocketEndpoint) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        func address(_ host: String, _ port: UInt16) -> sockaddr_in {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            inet_pton(AF_INET, host, &address.sin_addr)
            return address
        }
        var local = address(source, 0)
        var remote = address(endpoint.description.split(separator: ":")[0].description, endpoint.port)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, connected == 0 else { close(fd); return nil }
        return fd
    }

    /// Reads from `fd` until `done` holds for everything read, the peer closes, or 5 s pass.
    static func read(_ fd: Int32, until done: (String) -> Bool) -> String {
        var bytes = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, !done(String(decoding: bytes, as: UTF8.self)) {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            guard count > 0 else { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Polls `condition` on `queue` until it holds or 5 s pass.
    static func eventually(_ queue: DispatchQueue, _ condition: @escaping () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if queue.sync(execute: condition) { return true }
            usleep(10_000)
        }
        return false
    }

    @Test("events go out as id, event and data lines; a silent stream gets keep-alive comments")
    func wireFormatAndKeepAlive() throws {
        var settings = ControlServer.Settings()
        settings.eventStream.keepAliveInterval = .milliseconds(200)
        let (server, queue, streams) = try Self.server(1, settings)
        defer { queue.sync { server.stop() } }
        let (fd, head) = try Self.open(server, source: "127.0.79.101")
        defer { close(fd) }
        #expect(head.hasPrefix("HTTP/1.1 200 OK\r\n") && head.contains("Content-Type: text/event-stream\r\n"), "\(head)")
        #expect(!head.contains("Content-Length"), "\(head)")
        #expect(Self.eventually(queue) { streams.open.count == 1 })
        queue.sync { streams.open[0].send(event: "task\nx", id: "7", data: "line one\nline two") }
        let event = Self.read(fd, until: { $0.contains("line two\n\n") })
        #expect(event.contains("event: taskx\nid: 7\ndata: line one\ndata: line two\n\n"), "\(event)")
        // Nothing sent now: comments keep the stream alive.
        let quiet = Self.read(fd, until: { $0.components(separatedBy: ": keep-alive\n\n").count >= 3 })
        #expect(quiet.components(separatedBy: ": keep-alive\n\n").count >= 3, "\(quiet)")
    }

    @Test("a route may ask for its own keep-alive interval")
    func keepAlivePerStream() throws {
        let (server, queue, _) = try Self.server(5)   // the server's own interval stays 15 s
        defer { queue.sync { server.stop() } }
        let fd = try #require(Self.connect(from: "127.0.79.107", to: server.endpoint))
        defer { close(fd) }
        #expect(RawHTTP.send(fd, Array("GET /fast HTTP/1.1\r\nHost: \(server.endpoint)\r\n\r\n".utf8)))
        let started = Date()
        let text = Self.read(fd, until: { $0.components(separatedBy: ": keep-alive\n\n").count >= 4 })
        #expect(text.components(separatedBy: ": keep-alive\n\n").count >= 4 && Date().timeIntervalSince(started) < 4, "\(text)")
    }

    @Test("a client that leaves ends its stream: the owner hears it once, and the slot is free")
    func clientLeaves() throws {
        let (server, queue, streams) = try Self.server(2)
        defer { queue.sync { server.stop() } }
        let (fd, _) = try Self.open(server, source: "127.0.79.102")
        #expect(Self.eventually(queue) { streams.open.count == 1 && server.eventStreamCount == 1 })
        close(fd)
        #expect(Self.eventually(queue) { streams.closed == 1 && server.eventStreamCount == 0 && server.openCount == 0 })
        queue.sync { streams.open[0].send(data: "after the end") }   // ignored, no crash
        #expect(queue.sync { !streams.open[0].isOpen })
    }

    @Test("streams past the per-source and the total limit are answered 503 and counted")
    func limits() throws {
        var settings = ControlServer.Settings()
        settings.eventStreamsPerSourceMax = 2
        settings.eventStreamsMax = 3
        let (server, queue, _) = try Self.server(3, settings)
        defer { queue.sync { server.stop() } }
        let first = try Self.open(server, source: "127.0.79.103")
        let second = try Self.open(server, source: "127.0.79.103")
        let third = try Self.open(server, source: "127.0.79.103")
        defer { for fd in [first.fd, second.fd, third.fd] { close(fd) } }
        #expect(first.head.hasPrefix("HTTP/1.1 200") && second.head.hasPrefix("HTTP/1.1 200"))
        #expect(third.head.hasPrefix("HTTP/1.1 503") && third.head.contains("Retry-After: 5"), "\(third.head)")
        let other = try Self.open(server, source: "127.0.79.104")
        let fourth = try Self.open(server, source: "127.0.79.105")
        defer { close(other.fd); close(fourth.fd) }
        #expect(other.head.hasPrefix("HTTP/1.1 200") && fourth.head.hasPrefix("HTTP/1.1 503"), "\(fourth.head)")
        #expect(queue.sync { server.rejections[.tooManyStreams] } == 2)
    }

    @Test("a reader that stops reading is cut off once the buffer bound is reached")
    func slowReader() throws {
        var settings = ControlServer.Settings()
        settings.eventStream.bufferedBytesMax = 64 * 1024
        let (server, queue, streams) = try Self.server(4, settings)
        defer { queue.sync { server.stop() } }
        let (fd, _) = try Self.open(server, source: "127.0.79.106")
        defer { close(fd) }
        #expect(Self.eventually(queue) { streams.open.count == 1 })
        let chunk = String(repeating: "x", count: 16 * 1024)
        var sent = 0
        while sent < 4_096, queue.sync(execute: { streams.open[0].isOpen }) {   // at most 64 MiB
            queue.sync { for _ in 0..<16 { streams.open[0].send(data: chunk) } }
            sent += 16
        }
        #expect(queue.sync { streams.closed == 1 && server.eventStreamCount == 0 }, "sent \(sent) chunks")
    }
}
