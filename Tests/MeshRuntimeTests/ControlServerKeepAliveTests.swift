import MeshTestSupport
import Dispatch
import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import Testing

/// Kept-alive control connections: many requests on one connection, pipelined requests answered
/// in order, `Connection: close` and HTTP/1.0 honoured, an idle connection closed, a request
/// deadline armed for an earlier request never cutting off a later one.
@Suite("Control server: keep-alive", .timeLimit(.minutes(5)))
struct ControlServerKeepAliveTests {
    /// A server on 127.0.34.`host` that answers each request with its path, later when the path
    /// says `/slow` (a deferred answer, like a task submission's).
    static func server(_ host: UInt8, _ settings: ControlServer.Settings = ControlServer.Settings())
        throws -> (ControlServer, DispatchQueue) {
        let queue = DispatchQueue(label: "test.control.keepalive.\(host)")
        let server = try ControlServer(endpoint: .ipv4(Address(127, 0, 34, host, port: 0)), token: nil, settings: settings,
                                       queue: queue, deferring: { request, respond in
            let answer = HTTPResponse.json(.object([("path", .string(request.path))]))
            if request.path == "/slow" {
                let responder = Responder(respond)
                queue.asyncAfter(deadline: .now() + .milliseconds(300)) { responder.respond(answer) }
            } else {
                respond(answer)
            }
        })
        queue.sync { server.start() }
        return (server, queue)
    }

    static func path(_ body: Bytes) -> String? {
        (try? JSONValue.parse(String(decoding: body, as: UTF8.self)))?["path"]?.string
    }

    @Test("a hundred requests, a deferred one among them, travel on one connection")
    func manyRequests() throws {
        let (server, queue) = try Self.server(1)
        defer { queue.sync { server.stop() } }
        let connection = try KeepAliveConnection(endpoint: server.endpoint, timeout: .seconds(5))
        for index in 0..<100 {
            let path = index == 50 ? "/slow" : "/r\(index)"
            let answer = try connection.send("GET", path)
            #expect(answer.status == 200 && Self.path(answer.body) == path)
        }
        #expect(connection.connectionsOpened == 1)
        #expect(queue.sync { server.openCount } == 1)
    }

    @Test("pipelined requests are answered in order; Connection: close and HTTP/1.0 close after the answer")
    func pipeliningAndClose() throws {
        let (server, queue) = try Self.server(2)
        defer { queue.sync { server.stop() } }
        let port = Int(server.endpoint.port)
        let host = "Host: \(server.endpoint)\r\n"
        let fd = try #require(RawHTTP.connect("127.0.34.2", port))
        defer { close(fd) }
        let requests = "GET /slow HTTP/1.1\r\n\(host)\r\nGET /b HTTP/1.1\r\n\(host)\r\nGET /c HTTP/1.1\r\n\(host)Connection: close\r\n\r\n"
        #expect(RawHTTP.send(fd, Array(requests.utf8)))
        let all = RawHTTP.receiveAll(fd)   // returns once the node closed after the third answer
        let order = ["/slow", "/b", "/c"].map { all.range(of: "\"\($0)\"")?.lowerBound }
        #expect(order.allSatisfy { $0 != nil } && order[0]! < order[1]! && order[1]! < order[2]!, "\(all)")
        #expect(all.components(separatedBy: "Connection: keep-alive").count == 3 && all.contains("Connection: close"))
        let old = RawHTTP.exchange("127.0.34.2", port, "GET /old HTTP/1.0\r\n\(host)\r\n")
        #expect(old.status == 200 && old.response.contains("Connection: close"))
    }

    @Test("an idle kept-alive connection is closed; a later request gets its own full deadline")
    func idleAndDeadlines() throws {
        var settings = ControlServer.Settings()
        settings.requestTimeout = .milliseconds(300)
        settings.keepAliveIdleTimeout = .milliseconds(600)
        let (server, queue) = try Self.server(3, settings)
        defer { queue.sync { server.stop() } }
        let connection = try KeepAliveConnection(endpoint: server.endpoint, timeout: .seconds(5))
        #expect(try connection.send("GET", "/first").status == 200)
        // The first request's 300 ms deadline passes while the connection is idle: not cut off.
        usleep(400_000)   // time passing is the point here, not a synchronization
        #expect(try connection.send("GET", "/second").status == 200)
        #expect(connection.connectionsOpened == 1, "the first request's deadline did not close the connection")
        let start = Date()
        while queue.sync(execute: { server.openCount }) > 0 && Date().timeIntervalSince(start) < 3 { usleep(20_000) }
        #expect(queue.sync { server.openCount } == 0, "an idle connection is closed after the keep-alive timeout")
        #expect(try connection.send("GET", "/third").status == 200, "the client opens a new connection")
        #expect(connection.connectionsOpened == 2)
        #expect(queue.sync { server.rejections[.requestTimeout, default: 0] } == 0, "idle is not a request timeout")
    }

    @Test("the task routes' query strings: a known state, limit and cursor; an unknown state, parameter or cursor named")
    func taskFilters() throws {
        #expect(try NodeShell.taskFilter(query: "") == TaskFilter(limit: 100))
        let id = TaskID.idempotent(key: "k")
        #expect(try NodeShell.taskFilter(query: "limit=1000&after=1700000000000-\(id)")
                == TaskFilter(limit: 1000, after: TaskCursor(createdAt: 1_700_000_000_000, id: id)))
        #expect(throws: TaskFieldError("limit", "must be a whole number from 1 to 1000")) { try NodeShell.taskFilter(query: "limit=1001") }
        #expect(throws: TaskFieldError("after", "is not a listing cursor (pass back the 'next' of the previous page)")) {
            try NodeShell.taskFilter(query: "after=-\(id)")
        }
        #expect(try NodeShell.taskFilter(query: "state=running&limit=5") == TaskFilter(state: .running, limit: 5))
        #expect(throws: TaskFieldError("state", "'done' is not a task state (known: \(TaskState.allCases.map(\.rawValue).joined(separator: ", ")))")) {
            try NodeShell.taskFilter(query: "state=done")
        }
        #expect(throws: TaskFieldError("limit", "must be a whole number from 1 to 1000")) { try NodeShell.taskFilter(query: "limit=0") }
        #expect(throws: TaskFieldError("colour", "is not a query parameter here (known: state, limit, after)")) {
            try NodeShell.taskFilter(query: "colour=red")
        }
    }
}

/// Carries a responder to the server's own queue, where it is called (the server is confined to it).
private final class Responder: @unchecked Sendable {
    let respond: (HTTPResponse) -> Void
    init(_ respond: @escaping (HTTPResponse) -> Void) { self.respond = respond }
}
