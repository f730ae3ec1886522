import Dispatch
import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import Testing

/// The control server and the stream exchange over real loopback sockets, in this process.
@Suite("Control server and stream exchange over real sockets", .timeLimit(.minutes(5)))
struct SocketServersTests {
    /// Runs `body` on `queue` and waits for its result.
    static func onQueue<T: Sendable>(_ queue: DispatchQueue, _ body: @Sendable @escaping () -> T) -> T {
        queue.sync(execute: body)
    }

    static func makeControlServer(token: String?, settings: ControlServer.Settings = .init(),
                                  queue: DispatchQueue) throws -> ControlServer {
        let server = try ControlServer(endpoint: .ipv4(Address(127, 0, 32, 1, port: 0)), token: token,
                                       settings: settings, queue: queue) { request in
            request.path == "/v1/echo" ? .json(.object([("method", .string(request.method)), ("bytes", .integer(Int64(request.body.count)))])) : .error(404, "no")
        }
        queue.sync { server.start() }
        return server
    }

    @Test("the control server answers, requires its token, and enforces its limits")
    func controlServer() throws {
        let queue = DispatchQueue(label: "test.control")
        let server = try Self.makeControlServer(token: "s3cret", queue: queue)
        defer { queue.sync { server.stop() } }
        let endpoint = server.endpoint
        #expect(endpoint.port != 0)

        let authorized = ControlClient(endpoint: endpoint, token: "s3cret")
        #expect(try authorized.exchange("GET", "/v1/echo").status == 200)
        #expect(try authorized.exchange("GET", "/nope").status == 404)
        #expect(try authorized.exchange("POST", "/v1/echo", body: Bytes(repeating: 1, count: 64 * 1024)).status == 200)
        #expect(try authorized.exchange("POST", "/v1/echo", body: Bytes(repeating: 1, count: 64 * 1024 + 1)).status == 413)
        #expect(try authorized.exchange("GET", "/" + String(repeating: "x", count: 9_000)).status == 431)

        #expect(try ControlClient(endpoint: endpoint).exchange("GET", "/v1/echo").status == 401)
        #expect(try ControlClient(endpoint: endpoint, token: "s3cre").exchange("GET", "/v1/echo").status == 401)
        #expect(throws: ControlClient.Failure.self) { try ControlClient(endpoint: endpoint).status() }
    }

    @Test("past the connection limit a silent connection gives way to a client; another is cut off at the request deadline")
    func connectionLimitAndTimeout() throws {
        let queue = DispatchQueue(label: "test.control.limits")
        var settings = ControlServer.Settings()
        settings.connectionsMax = 2
        settings.requestTimeout = .milliseconds(300)
        let server = try Self.makeControlServer(token: nil, settings: settings, queue: queue)
        defer { queue.sync { server.stop() } }
        let idle = try (0..<2).map { _ in try Sockets.connect(to: server.endpoint, from: nil).fd }
        defer { idle.forEach(closeDescriptor) }
        // Until the server has accepted both silent connections, the client would find room anyway.
        let deadline = Date().addingTimeInterval(5)
        while queue.sync(execute: { server.openCount }) < 2 && Date() < deadline { usleep(1_000) }
        #expect(try ControlClient(endpoint: server.endpoint).exchange("GET", "/v1/echo").status == 200)
        // One silent connection was evicted for the client (503), the other cut off at 300 ms (408).
        var answers: [Int] = []
        for fd in idle {
            var buffer = [UInt8](repeating: 0, count: 512)
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            #expect(poll(&entry, 1, 3_000) == 1)
            let count = recv(fd, &buffer, buffer.count, 0)
            answers.append(count > 0 ? Int(String(decoding: buffer[9..<12], as: UTF8.self)) ?? 0 : 0)
        }
        #expect(answers.sorted() == [408, 503], "\(answers)")
        #expect(queue.sync { server.rejections } == [.evicted: 1, .requestTimeout: 1])
    }
}
