import Foundation
import MeshCore
@testable import MeshCLI
@testable import MeshRuntime
import Testing

/// The pieces of the MCP tools that need no node: cursors, UTF-8 cuts, names in URLs, the
/// submission body, "not served" answers, and whole HTTP answers with headers and chunks.
@Suite("mesh mcp: tool parts")
struct MCPToolPartsTests {
    @Test("a log cursor is A:N with A ≥ 1; anything else is refused")
    func cursors() {
        #expect(MeshTools.LogCursor("2:150") == MeshTools.LogCursor(attempt: 2, offset: 150))
        for bad in ["", "0:5", "1:", ":3", "1:2:3", "-1:4", "1:+4", "a:b", "99999999999:1", "1:99999999999999999999"] {
            #expect(MeshTools.LogCursor(bad) == nil, "\(bad)")
        }
    }

    @Test("a log cut never ends inside a UTF-8 sequence, and always moves on")
    func utf8Cuts() {
        let text = Array("aé€😀".utf8)   // 1 + 2 + 3 + 4 bytes
        #expect(MeshTools.utf8Prefix(text, bytesMax: 2) == 1)
        #expect(MeshTools.utf8Prefix(text, bytesMax: 5) == 3)
        #expect(MeshTools.utf8Prefix(text, bytesMax: 8) == 6)
        #expect(MeshTools.utf8Prefix(text, bytesMax: 10) == 10)
        #expect(MeshTools.utf8Prefix(Array("😀".utf8), bytesMax: 2) == 2, "no progress would loop forever")
    }

    @Test("the log answer points to the next attempt once a finished attempt has no more")
    func nextCursor() {
        let record = JSONValue.object([("state", .string("running")), ("attempt", .integer(3))])
        let id = TaskID.idempotent(key: "k")
        let more = MeshTools.logAnswer(id, record, from: .init(attempt: 2, offset: 10), text: "abc", bytes: 3, isMore: false, note: nil)
        #expect(more["nextCursor"]?.string == "2:13")
        let done = MeshTools.logAnswer(id, record, from: .init(attempt: 2, offset: 13), text: "", bytes: 0, isMore: false, note: nil)
        #expect(done["nextCursor"]?.string == "3:0")
        let current = MeshTools.logAnswer(id, record, from: .init(attempt: 3, offset: 7), text: "", bytes: 0, isMore: false, note: nil)
        #expect(current["nextCursor"]?.string == "3:7")
    }

    @Test("artifact names travel as one percent-encoded path segment; hashes are read as hex")
    func names() {
        #expect(MeshTools.percentEncoded("report v2.txt") == "report%20v2.txt")
        #expect(MeshTools.percentEncoded("a?b#c%/é") == "a%3Fb%23c%25%2F%C3%A9")
        #expect(MeshTools.hexBytes("00ffA0") == [0, 255, 160] && MeshTools.hexBytes("0g") == nil && MeshTools.hexBytes("abc") == nil)
        let record = JSONValue.object([("history", .array([
            .object([("state", .string("retrying")), ("artifacts", .array([.object([("name", .string("old")), ("size", .integer(1)),
                                                                                    ("sha256", .string(String(repeating: "a", count: 64)))])]))]),
            .object([("state", .string("succeeded")), ("artifacts", .array([
                .object([("name", .string("new")), ("size", .integer(2)), ("sha256", .string(String(repeating: "b", count: 64)))]),
                .object([("name", .string("../evil")), ("size", .integer(2)), ("sha256", .string(String(repeating: "b", count: 64)))]),
            ]))]),
            .object([("state", .string("succeeded"))]),
        ]))])
        #expect(MeshTools.recordedArtifacts(record).map(\.name) == ["new"])
    }

    @Test("the submission body carries the spec's fields and expect; a bad field names its argument")
    func submissionBody() throws {
        let arguments = try ToolArguments(.object([("profile", .string("ok")), ("prompt", .string("p")), ("tags", .array([.string("gpu")])),
                                                   ("expect", .array([.string("out.txt")])), ("timeout", .string("90s")), ("attempts", .integer(2))]),
                                          tool: "submit_task", known: MeshTools.catalog[2].inputSchema["properties"]!.object!.map(\.0))
        let body = try MeshTools.submissionBody(arguments)
        #expect(body["expect"] == .array([.string("out.txt")]) && body["tags"] == .array([.string("gpu")]))
        #expect(body["timeout"]?.string == "90s" && body["attempts"]?.integer == 2 && body["wait"] == nil)
        let bad = try ToolArguments(.object([("profile", .string("no/slash")), ("prompt", .string("p"))]), tool: "submit_task", known: ["profile", "prompt"])
        #expect(throws: ToolFailure.self) { try MeshTools.submissionBody(bad) }
        #expect(throws: ToolFailure.self) { try ToolArguments(.array([]), tool: "t", known: []) }
    }

    @Test("a node without a route is told apart from a task it does not know")
    func notServed() {
        func response(_ status: Int, _ body: String) -> ControlResponse {
            ControlResponse(status: status, headers: [], body: Array(body.utf8))
        }
        #expect(MeshTools.isNotServed(response(405, #"{"error":"POST is not allowed"}"#)))
        #expect(MeshTools.isNotServed(response(404, #"{"error":"no such endpoint: /v1/x"}"#)))
        #expect(MeshTools.isNotServed(response(400, #"{"error":"…","code":"bad_field","field":"id"}"#)))
        #expect(!MeshTools.isNotServed(response(404, #"{"error":"no such task","code":"not_found"}"#)))
        #expect(!MeshTools.isNotServed(response(409, #"{"error":"already finished"}"#)))
        // The one error shape of API v1.
        #expect(MeshTools.isNotServed(response(404, #"{"error":{"code":"not_found","message":"no such endpoint: /v1/tasks/x/logs"}}"#)))
        #expect(MeshTools.isNotServed(response(400, #"{"error":{"code":"bad_field","message":"…","field":"id"}}"#)))
        #expect(!MeshTools.isNotServed(response(404, #"{"error":{"code":"not_found","message":"no such task: 00"}}"#)))
    }

    @Test("whole answers: headers kept, Content-Length honoured, chunked bodies joined, hostile sizes refused")
    func wholeAnswers() throws {
        let plain = try ControlClient.parseWhole(Array("HTTP/1.1 200 OK\r\nX-Mesh-Log-Offset: 12\r\nContent-Length: 3\r\n\r\nabcdef".utf8))
        #expect(plain.status == 200 && plain.body == Array("abc".utf8) && plain.header("x-mesh-log-offset") == "12")
        let chunked = try ControlClient.parseWhole(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\nA\r\n0123456789\r\n0\r\n\r\n".utf8))
        #expect(chunked.body == Array("abc0123456789".utf8))
        for bad in ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF\r\nabc", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc\r\n",
                    "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nabc", "nonsense"] {
            #expect(throws: ControlClient.Failure.self, "\(bad.debugDescription)") { try ControlClient.parseWhole(Array(bad.utf8)) }
        }
    }
}
