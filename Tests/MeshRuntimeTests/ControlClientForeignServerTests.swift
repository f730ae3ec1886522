import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import Testing

/// `mesh status --http` pointed at something that is not a mesh node: the error is one printable
/// line that says so, never a dangling `: ` or another server's bytes (escape sequences included).
@Suite("Control client: a server that is not a mesh node", .timeLimit(.minutes(5)))
struct ControlClientForeignServerTests {
    /// Answers one connection on a loopback port with `response`, then closes; returns the port.
    static func serveOnce(_ response: String) throws -> UInt16 {
        try OneConnectionServer.start(on: Address(127, 0, 64, 1, port: 0)) { fd in
            var request = [UInt8](repeating: 0, count: 4096)
            var readable = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&readable, 1, 5_000)
            _ = recv(fd, &request, request.count, 0)
            let bytes = Array(response.utf8)
            _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }.port
    }

    static func failure(answering response: String) throws -> String {
        let port = try serveOnce(response)
        let client = ControlClient(endpoint: .ipv4(Address(127, 0, 64, 1, port: port)), timeout: .seconds(5))
        do {
            _ = try client.status()
            Issue.record("a foreign answer was accepted")
            return ""
        } catch {
            return error.description
        }
    }

    @Test("an empty error answer says it may not be a mesh node, with no trailing ': '")
    func emptyAnswer() throws {
        let text = try Self.failure(answering: "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        #expect(!text.hasSuffix(": ") && !text.hasSuffix(":"), "\(text)")
        #expect(text.contains("404") && text.contains("mesh node's control API"), "\(text)")
    }

    @Test("another server's page reaches the terminal as one line without control characters")
    func foreignPage() throws {
        let page = "<html>\n<h1>Oops</h1>\u{1B}[2J\r\n</html>\n"
        let text = try Self.failure(answering: "HTTP/1.1 500 Internal Server Error\r\nContent-Length: \(page.utf8.count)\r\n\r\n\(page)")
        #expect(text == "the node answered 500: <html> <h1>Oops</h1> [2J </html>", "\(text)")
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
    }
}
