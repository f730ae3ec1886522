import Foundation
import MeshCore
@testable import MeshCLI
@testable import MeshRuntime
import Testing

/// The JSON-RPC session of `mesh mcp`: framing, errors, the handshake, bounded calls, and tool
/// failures that leave the session working.
@Suite("mesh mcp: JSON-RPC framing and session")
struct MCPServerTests {
    /// Messages the server sent, gathered from every thread.
    final class Sent: @unchecked Sendable {
        private let lock = NSLock()
        private var messages: [JSONValue] = []
        func append(_ message: JSONValue) { lock.withLock { messages.append(message) } }
        var all: [JSONValue] { lock.withLock { messages } }

        /// The answer to request `id`, waiting up to `seconds` for it (tool calls answer from their threads).
        func answer(_ id: Int64, within seconds: Double = 10) -> JSONValue? {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if let found = all.first(where: { $0["id"] == .integer(id) }) { return found }
                usleep(5_000)   // polling interval while a call thread answers
            }
            return nil
        }
    }

    /// A toolbox whose calls block until released (or cut short), to fill the in-flight slots.
    final class Gate: MCPToolbox, @unchecked Sendable {
        private let lock = NSLock()
        private var open = false
        var tools: [MCPTool] { [MCPTool(name: "hold", title: "Hold", description: "blocks", inputSchema: MeshTools.schema([]),
                                        isReadOnly: true, isIdempotent: true)] }
        func release() { lock.withLock { open = true } }
        func call(_ name: String, arguments: JSONValue, cancel: CancelFlag) -> ToolResult {
            while !lock.withLock({ open }) && !cancel.shouldStop { usleep(2_000) }   // the gate's poll
            return .success(.object([("stopped", .bool(cancel.shouldStop))]))
        }
    }

    /// A server over the real tools, with a node address where nothing listens.
    static func meshServer() -> (MCPServer, Sent) {
        let sent = Sent()
        let client = ControlClient(endpoint: SocketEndpoint(parsing: "127.0.80.250:9")!, timeout: .seconds(2))
        return (MCPServer(toolbox: MeshTools(client: client)) { sent.append($0) }, sent)
    }

    static func line(_ text: String) -> MCPLineReader.Event { .line(Array(text.utf8)) }

    static func initialize(_ server: MCPServer, version: String = "2025-11-25") {
        server.receive(line(#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"\#(version)","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#))
        server.receive(line(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#))
    }

    static func errorCode(_ message: JSONValue?) -> Int64? { message?["error"]?["code"]?.integer }

    @Test("lines: split on \\n, a trailing \\r dropped, pieces joined across reads, empty lines skipped")
    func lineSplitting() {
        var reader = MCPLineReader(lineBytesMax: 100)
        #expect(reader.feed(Array("{\"a\":1}\r\n\n{\"b\"".utf8)) == [.line(Array("{\"a\":1}".utf8))])
        #expect(reader.feed(Array(":2}\n".utf8)) == [.line(Array("{\"b\":2}".utf8))])
        #expect(reader.feed(Array("tail".utf8)).isEmpty)
        #expect(reader.finish() == [.line(Array("tail".utf8))])
    }

    @Test("an oversized line is reported once with its length and skipped; the next line is read")
    func oversizedLine() {
        var reader = MCPLineReader(lineBytesMax: 10)
        #expect(reader.feed(Bytes(repeating: 0x61, count: 8)).isEmpty)
        #expect(reader.feed(Bytes(repeating: 0x61, count: 30)).isEmpty)
        #expect(reader.feed(Array("bbb\nok\n".utf8)) == [.oversized(byteCount: 41), .line(Array("ok".utf8))])
        let (server, sent) = Self.meshServer()
        server.receive(MCPLineReader.Event.oversized(byteCount: 41))
        #expect(Self.errorCode(sent.all.last) == JSONRPC.Code.invalidRequest && sent.all.last?["id"] == .null)
    }

    @Test("bad JSON, a batch, a wrong jsonrpc, a bad id and bad params are JSON-RPC errors; responses are ignored")
    func invalidMessages() {
        #expect(JSONRPC.classify(Array("{nope".utf8)) == .invalid(id: .null, code: JSONRPC.Code.parseError,
                                                                    message: "the message is not JSON: expected a key in quotes at line 1, column 2"))
        #expect(JSONRPC.classify([0xFF, 0x7B]) == .invalid(id: .null, code: JSONRPC.Code.parseError, message: "the message is not UTF-8"))
        let cases: [(String, JSONValue)] = [
            (#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#, .null), (#"{"jsonrpc":"1.0","id":4,"method":"ping"}"#, .integer(4)),
            (#"{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}"#, .null), (#"{"jsonrpc":"2.0","id":"a","method":7}"#, .string("a")),
            (#"{"jsonrpc":"2.0","id":5,"method":"ping","params":3}"#, .integer(5)), (#""text""#, .null),
        ]
        for (text, id) in cases {
            guard case .invalid(let got, let code, _) = JSONRPC.classify(Array(text.utf8)) else {
                Issue.record("\(text) was accepted"); continue
            }
            #expect(got == id && code == JSONRPC.Code.invalidRequest, "\(text)")
        }
        #expect(JSONRPC.classify(Array(#"{"jsonrpc":"2.0","id":9,"result":{}}"#.utf8)) == .response)
        #expect(JSONRPC.classify(Array(#"{"jsonrpc":"2.0","method":"notifications/x"}"#.utf8)) == .notification(method: "notifications/x", params: nil))
    }

    @Test("initialize agrees on the client's version when known, else offers the newest; tools wait for it; unknown methods are -32601")
    func handshake() throws {
        let (server, sent) = Self.meshServer()
        server.receive(Self.line(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#))
        #expect(Self.errorCode(sent.answer(1)) == JSONRPC.Code.invalidRequest)
        server.receive(Self.line(#"{"jsonrpc":"2.0","id":2,"method":"initialize","params":{}}"#))
        #expect(Self.errorCode(sent.answer(2)) == JSONRPC.Code.invalidParams)
        Self.initialize(server, version: "2025-03-26")
        #expect(sent.answer(0)?["result"]?["protocolVersion"]?.string == "2025-03-26")
        server.receive(Self.line(#"{"jsonrpc":"2.0","id":3,"method":"initialize","params":{"protocolVersion":"2099-01-01"}}"#))
        #expect(sent.answer(3)?["result"]?["protocolVersion"]?.string == MCPServer.protocolVersions[0])
        server.receive(Self.line(#"{"jsonrpc":"2.0","id":4,"method":"server/discover","params":{}}"#))
        #expect(Self.errorCode(sent.answer(4)) == JSONRPC.Code.methodNotFound)
        server.receive(Self.line(#"{"jsonrpc":"2.0","id":"p","method":"ping"}"#))
        #expect(sent.all.last == JSONRPC.result(.string("p"), .object([])))
        server.receive(Self.line(#"{"jsonrpc":"2.0","id":5,"method":"tools/list"}"#))
        let tools = try #require(sent.answer(5)?["result"]?["tools"]?.array)
        #expect(tools.compactMap { $0["name"]?.string } == ["mesh_status", "list_profiles", "submit_task", "task_status",
                                                             "task_logs", "fetch_artifacts", "cancel_task"])
        #expect(tools.allSatisfy { $0["inputSchema"]?["type"]?.string == "object" && $0["description"]?.string?.isEmpty == false })
    }

    @Test("a bogus task id, bad arguments and an unreachable node are tool errors; the next call still works")
    func toolErrorsKeepTheSession() throws {
        let (server, sent) = Self.meshServer()
        Self.initialize(server)
        let calls: [(Int64, String, String)] = [
            (10, #"{"name":"task_status","arguments":{"id":"bogus"}}"#, "is not a task id"),
            (11, #"{"name":"task_logs","arguments":{"id":"0123456789abcdef0123456789abcdef","cursor":"x"}}"#, "'cursor' must be 'A:N'"),
            (12, #"{"name":"submit_task","arguments":{"profile":"ok","prompt":"p","wait":-1}}"#, "'wait' must be a number"),
            (13, #"{"name":"fetch_artifacts","arguments":{"id":"0123456789abcdef0123456789abcdef","directory":"rel"}}"#, "absolute path"),
            (14, #"{"name":"task_status","arguments":{"id":"0123456789abcdef0123456789abcdef"}}"#, "no node answers at 127.0.80.250:9"),
            (15, #"{"name":"mesh_status","arguments":{"verbose":true}}"#, "unknown argument 'verbose'"),
            (16, #"{"name":"submit_task","arguments":{"profile":"ok","prompt":"p","expect":["../x"]}}"#, "base name"),
        ]
        for (id, params, expected) in calls {
            server.receive(Self.line(#"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":\#(params)}"#))
            let result = try #require(sent.answer(id)?["result"], "answer to \(id)")
            #expect(result["isError"] == .bool(true), "\(id)")
            let text = result["content"]?.array?.first?["text"]?.string ?? ""
            #expect(text.contains(expected), "\(id): \(text)")
        }
        server.receive(Self.line(#"{"jsonrpc":"2.0","id":20,"method":"tools/call","params":{"name":"nope"}}"#))
        #expect(Self.errorCode(sent.answer(20)) == JSONRPC.Code.invalidParams)
        server.receive(Self.line(#"{"jsonrpc":"2.0","id":21,"method":"ping"}"#))
        #expect(sent.answer(21)?["result"] == .object([]))
        #expect(server.callsInFlight == 0)
    }

    @Test("a call with a progressToken reports numbered progress under that token; one without reports nothing")
    func progress() throws {
        let sent = Sent()
        let collect: @Sendable (JSONValue) -> Void = { sent.append($0) }
        let reporter = try #require(MCPServer.progressReporter(.string("tok"), send: collect))
        let flag = CancelFlag(progress: reporter)
        flag.report("task x: running")
        flag.report("task x: succeeded")
        #expect(sent.all.map { $0["params"]?["progress"] } == [.integer(1), .integer(2)])
        #expect(sent.all.allSatisfy { $0["method"]?.string == "notifications/progress" && $0["params"]?["progressToken"] == .string("tok") })
        flag.cancel()
        flag.report("after cancel")
        #expect(sent.all.count == 2)
        #expect(MCPServer.progressReporter(nil, send: collect) == nil)
        #expect(MCPServer.progressReporter(.object([]), send: collect) == nil)
    }

    @Test("calls beyond the in-flight limit are refused at once; a cancelled call sends no answer; finishing cuts waits short")
    func boundedCalls() throws {
        let gate = Gate()
        let sent = Sent()
        let server = MCPServer(toolbox: gate, callsInFlightMax: 2) { sent.append($0) }
        Self.initialize(server)
        for id in 1...3 { server.receive(Self.line(#"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"hold"}}"#)) }
        #expect(Self.errorCode(sent.answer(3)) == JSONRPC.Code.busy)
        server.receive(Self.line(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}"#))
        server.receive(Self.line(#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"hold"}}"#))
        #expect(server.finish(within: 10) == 0)
        #expect(sent.answer(2)?["result"]?["structuredContent"]?["stopped"] == .bool(true))
        #expect(sent.answer(4)?["result"]?["isError"] == .bool(false))
        #expect(sent.answer(1, within: 0.2) == nil, "a cancelled call is not answered")
        gate.release()
    }
}
