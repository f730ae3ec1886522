import MeshTestSupport
import Dispatch
import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import Testing

/// The control server refuses what a web page could send it (issue 7): a foreign `Host` (DNS
/// rebinding), a foreign `Origin` (cross-site request), a `POST` that is not JSON (an HTML form).
/// Real sockets on 127.0.33.x, raw requests written by hand.
@Suite("Control server: Host, Origin and Content-Type", .timeLimit(.minutes(5)))
struct ControlServerSecurityTests {
    static let ip = "127.0.33.1"

    static func makeServer(token: String? = nil, queue: DispatchQueue) throws -> ControlServer {
        let server = try ControlServer(endpoint: .ipv4(Address(127, 0, 33, 1, port: 0)), token: token,
                                       queue: queue) { request in
            .json(.object([("method", .string(request.method)), ("path", .string(request.path))]))
        }
        queue.sync { server.start() }
        return server
    }

    /// A request with `headers` (each `Name: value`, `{PORT}` replaced by the server's port).
    static func request(_ method: String, headers: [String], body: String = "", port: UInt16) -> String {
        var text = "\(method) /v1/echo HTTP/1.1\r\n"
        for header in headers { text += header.replacingOccurrences(of: "{PORT}", with: String(port)) + "\r\n" }
        if method == "POST" { text += "Content-Length: \(body.utf8.count)\r\n" }
        return text + "Connection: close\r\n\r\n" + body
    }

    @Test("the Host header must name the API itself", arguments: [
        (["Host: 127.0.33.1:{PORT}"], 200),
        (["Host: localhost:{PORT}"], 200),
        (["Host: LOCALHOST:{PORT}"], 200),
        (["Host: 127.0.0.1:{PORT}"], 200),
        (["Host: [::1]:{PORT}"], 200),
        ([], 400),
        (["Host: evil.example"], 403),
        (["Host: evil.example:{PORT}"], 403),
        (["Host: 127.0.33.1"], 403),
        (["Host: 127.0.33.1:1"], 403),
        (["Host: 127.0.33.2:{PORT}"], 403),
        (["Host: localhost.evil.example:{PORT}"], 403),
        (["Host: 127.0.33.1:{PORT}", "Host: evil.example"], 400),
    ])
    func host(headers: [String], status: Int) throws {
        let queue = DispatchQueue(label: "test.control.host")
        let server = try Self.makeServer(queue: queue)
        defer { queue.sync { server.stop() } }
        let port = server.endpoint.port
        let (answer, text) = RawHTTP.exchange(Self.ip, Int(port), Self.request("GET", headers: headers, port: port))
        #expect(answer == status, "\(headers): \(text)")
    }

    @Test("an Origin header must be the API's own origin", arguments: [
        (["Origin: http://127.0.33.1:{PORT}"], 200),
        (["Origin: http://localhost:{PORT}"], 200),
        (["Origin: http://evil.example"], 403),
        (["Origin: null"], 403),
        (["Origin: https://127.0.33.1:{PORT}"], 403),
        (["Origin: http://127.0.33.1:{PORT}/"], 403),
        (["Origin: http://127.0.33.1:1"], 403),
        (["Origin: "], 403),
    ])
    func origin(headers: [String], status: Int) throws {
        let queue = DispatchQueue(label: "test.control.origin")
        let server = try Self.makeServer(queue: queue)
        defer { queue.sync { server.stop() } }
        let port = server.endpoint.port
        let all = ["Host: 127.0.33.1:{PORT}"] + headers
        let (answer, text) = RawHTTP.exchange(Self.ip, Int(port), Self.request("GET", headers: all, port: port))
        #expect(answer == status, "\(headers): \(text)")
    }

    @Test("a POST must be JSON", arguments: [
        (["Content-Type: application/json"], 200),
        (["Content-Type: application/json; charset=utf-8"], 200),
        (["Content-Type: Application/JSON"], 200),
        ([], 415),
        (["Content-Type: text/plain"], 415),
        (["Content-Type: application/x-www-form-urlencoded"], 415),
        (["Content-Type: multipart/form-data; boundary=x"], 415),
        (["Content-Type: application/jsonp"], 415),
    ])
    func contentType(headers: [String], status: Int) throws {
        let queue = DispatchQueue(label: "test.control.type")
        let server = try Self.makeServer(queue: queue)
        defer { queue.sync { server.stop() } }
        let port = server.endpoint.port
        let all = ["Host: 127.0.33.1:{PORT}"] + headers
        let (answer, text) = RawHTTP.exchange(Self.ip, Int(port), Self.request("POST", headers: all, body: "{}", port: port))
        #expect(answer == status, "\(headers): \(text)")
    }

    @Test("a browser-style cross-site POST is refused with 403, before the token is even looked at; each refusal is counted")
    func browserPost() throws {
        let queue = DispatchQueue(label: "test.control.browser")
        let server = try Self.makeServer(token: "s3cret", queue: queue)
        defer { queue.sync { server.stop() } }
        let port = server.endpoint.port
        let browser = Self.request("POST", headers: ["Host: evil.example:\(port)", "Origin: http://evil.example",
                                                     "Content-Type: text/plain"], body: "x", port: port)
        #expect(RawHTTP.exchange(Self.ip, Int(port), browser).status == 403)
        let client = ControlClient(endpoint: server.endpoint, token: "s3cret")
        #expect(try client.exchange("POST", "/v1/echo").status == 200, "the client sends Host, Content-Type and a JSON body")
        #expect(try client.exchange("GET", "/v1/echo").status == 200)
        let counts = queue.sync { server.rejections }
        #expect(counts[.badHost] == 1)
        #expect(queue.sync { server.rejected } == 1)
    }
}
