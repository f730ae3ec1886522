import Dispatch
import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import Testing

/// The control server and the stream exchange over real loopback sockets, in this process.
@Suite("Control server and stream exchange over real sockets", .timeLimit(.minutes(1)))
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

    @Test("past the connection limit the server answers 503; a silent client is cut off at the timeout")
    func connectionLimitAndTimeout() throws {
        let queue = DispatchQueue(label: "test.control.limits")
        var settings = ControlServer.Settings()
        settings.connectionsMax = 2
        settings.connectionTimeout = .milliseconds(300)
        let server = try Self.makeControlServer(token: nil, settings: settings, queue: queue)
        defer { queue.sync { server.stop() } }
        let idle = try (0..<2).map { _ in try Sockets.connect(to: server.endpoint, from: nil).fd }
        defer { idle.forEach(closeDescriptor) }
        // Until the server has accepted both idle connections, a third request may still get in.
        var sawRefusal = false
        let deadline = Date().addingTimeInterval(5)
        while !sawRefusal && Date() < deadline {
            sawRefusal = (try? ControlClient(endpoint: server.endpoint).exchange("GET", "/v1/echo").status) == 503
        }
        #expect(sawRefusal)
        // The idle connections are closed by the server after its timeout: reading gives end of stream.
        var buffer = [UInt8](repeating: 0, count: 16)
        var entry = pollfd(fd: idle[0], events: Int16(POLLIN), revents: 0)
        #expect(poll(&entry, 1, 3_000) == 1)
        #expect(recv(idle[0], &buffer, buffer.count, 0) <= 0)
    }
}
