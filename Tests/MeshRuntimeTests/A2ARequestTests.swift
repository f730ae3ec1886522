import MeshCore
@testable import MeshRuntime
import Testing

/// The A2A JSON-RPC request parser (issue 13 item 2): what the `a2a-sdk` client sends is read, and
/// everything else is refused with the JSON-RPC / A2A error code the SDK maps back to its exceptions.
@Suite("A2A: JSON-RPC requests")
struct A2ARequestTests {
    static func parse(_ body: String, version: String? = "1.0") -> Result<A2ACall, A2ARefusal> {
        A2ACall.parse(Array(body.utf8), versionHeader: version)
    }

    static func code(_ body: String, version: String? = "1.0") -> Int? {
        if case .failure(let refusal) = parse(body, version: version) { return refusal.error.code }
        return nil
    }

    static func send(_ message: String, method: String = "SendStreamingMessage", extra: String = "") -> String {
        #"{"jsonrpc":"2.0","id":"r1","method":"\#(method)","params":{"message":\#(message)\#(extra)}}"#
    }

    static let text = #"{"messageId":"m-1","role":"ROLE_USER","parts":[{"text":"hello"},{"text":"world"}],"metadata":{"skill":"echo"}}"#

    @Test("a streaming message as the SDK sends it: the text parts joined are the prompt, metadata.skill the profile")
    func streamingMessage() throws {
        let call = try Self.parse(Self.send(Self.text)).get()
        #expect(call.id == .string("r1"))
        guard case .send(let message, let isStreaming) = call.method else { Issue.record("\(call.method)"); return }
        #expect(isStreaming)
        #expect(message.prompt == "hello\nworld")
        #expect(message.skill == "echo")
        #expect(message.idempotencyKey == "a2a:m-1")
        #expect(message.taskID == TaskID.idempotent(key: "a2a:m-1"))
        #expect(!message.returnsImmediately && message.historyLength == nil)
    }

    @Test("SendMessage reads returnImmediately and historyLength; a skill in the request's metadata counts when the message names none")
    func configuration() throws {
        let message = #"{"messageId":"m-2","parts":[{"text":"x"}]}"#
        let extra = #","configuration":{"returnImmediately":true,"historyLength":0},"metadata":{"skill":"slow"}"#
        let call = try Self.parse(Self.send(message, method: "SendMessage", extra: extra)).get()
        guard case .send(let parsed, false) = call.method else { Issue.record("\(call.method)"); return }
        #expect(parsed.returnsImmediately && parsed.historyLength == 0 && parsed.skill == "slow")
    }

    @Test("each malformed request gets its JSON-RPC code", arguments: [
        ("not json", -32700), ("[1,2]", -32600), (#"{"jsonrpc":"1.0","id":1,"method":"GetTask"}"#, -32600),
        (#"{"jsonrpc":"2.0","id":true,"method":"GetTask"}"#, -32600), (#"{"jsonrpc":"2.0","id":{},"method":"GetTask"}"#, -32600),
        (#"{"jsonrpc":"2.0","id":1}"#, -32600), (#"{"jsonrpc":"2.0","id":1,"method":"message/send"}"#, -32601),
        (#"{"jsonrpc":"2.0","id":1,"method":"GetTask","params":[1]}"#, -32602),
        (#"{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{}}"#, -32602),
        (#"{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":"zz"}}"#, -32001),
        (#"{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":"00000000000000000000000000000000","historyLength":-1}}"#, -32602),
        (#"{"jsonrpc":"2.0","id":1,"method":"CreateTaskPushNotificationConfig","params":{}}"#, -32003),
        (#"{"jsonrpc":"2.0","id":1,"method":"GetExtendedAgentCard","params":{}}"#, -32007),
        (#"{"jsonrpc":"2.0","id":1,"method":"ListTasks","params":{"pageToken":"next"}}"#, -32602),
        (#"{"jsonrpc":"2.0","id":1,"method":"ListTasks","params":{"pageSize":101}}"#, -32602),
    ])
    func malformed(body: String, code: Int) {
        #expect(Self.code(body) == code)
    }

    @Test("a message that is not plain text, or continues a task, or lacks an id, is refused", arguments: [
        (#"{"messageId":"m","parts":[{"url":"http://x/a.txt"}]}"#, -32005),
        (#"{"messageId":"m","parts":[{"raw":"aGk="}]}"#, -32602),
        (#"{"messageId":"m","parts":[{"raw":"aGk=","filename":"../a"}]}"#, -32602),
        (#"{"messageId":"m","parts":[{"raw":"a!k=","filename":"a"}]}"#, -32602),
        (#"{"messageId":"m","parts":[{"raw":"aGk=","filename":"a"},{"raw":"aGk=","filename":"a"}]}"#, -32602),
        (#"{"messageId":"m","parts":[{"data":{"k":1}}]}"#, -32005),
        (#"{"messageId":"m","parts":[{"metadata":{}}]}"#, -32602),
        (#"{"messageId":"m","parts":[]}"#, -32602),
        (#"{"parts":[{"text":"x"}]}"#, -32602),
        (#"{"messageId":"m","taskId":"t","parts":[{"text":"x"}]}"#, -32004),
        (#"{"messageId":"m","parts":[{"text":"x"}],"metadata":{"skill":7}}"#, -32602),
        (#"{"messageId":"m","parts":[{"text":"x"}],"metadata":"echo"}"#, -32602),
    ])
    func refusedMessages(message: String, code: Int) {
        #expect(Self.code(Self.send(message)) == code)
    }

    @Test("a file part with its bytes and a name is a file of the message, beside the text")
    func fileParts() throws {
        let message = #"{"messageId":"m","parts":[{"text":"read it"},{"raw":"aGk=","filename":"notes.md","mediaType":"text/markdown"}]}"#
        guard case .send(let parsed, _) = try Self.parse(Self.send(message)).get().method else { Issue.record("not a send"); return }
        #expect(parsed.prompt == "read it")
        #expect(parsed.files == [A2AMessage.File(name: "notes.md", bytes: Array("hi".utf8))])
    }

    @Test("a message id longer than the idempotency key allows is refused; one at the limit is taken")
    func messageIDLimit() {
        let limit = A2AMessage.messageIDBytesMax
        let atLimit = #"{"messageId":"\#(String(repeating: "a", count: limit))","parts":[{"text":"x"}]}"#
        let past = #"{"messageId":"\#(String(repeating: "a", count: limit + 1))","parts":[{"text":"x"}]}"#
        #expect(Self.code(Self.send(atLimit)) == nil)
        #expect(Self.code(Self.send(past)) == -32602)
        #expect(limit + "a2a:".utf8.count == TaskLimits.idempotencyKeyBytesMax)
    }

    @Test("A2A-Version must be 1.x: missing means 0.3 and is refused with -32009, as the SDK's server does")
    func version() {
        let body = #"{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":"00000000000000000000000000000000"}}"#
        #expect(Self.code(body, version: nil) == -32009)
        #expect(Self.code(body, version: "0.3") == -32009)
        #expect(Self.code(body, version: "2.0") == -32009)
        #expect(Self.code(body, version: "1.0") == nil)
        #expect(Self.code(body, version: "1.2.3") == nil)
    }

    @Test("the id is echoed as it came (string, integer or null), also in a refusal")
    func idEchoed() throws {
        let body = #"{"jsonrpc":"2.0","id":42,"method":"Nope"}"#
        guard case .failure(let refusal) = Self.parse(body) else { Issue.record("parsed"); return }
        #expect(refusal.id == .integer(42))
        let call = try Self.parse(#"{"jsonrpc":"2.0","method":"SubscribeToTask","params":{"id":"0123456789abcdef0123456789abcdef"}}"#).get()
        #expect(call.id == .null)
        #expect(call.method == .subscribe(TaskID("0123456789abcdef0123456789abcdef")!))
    }

    @Test("ListTasks reads a status filter and a page size")
    func listTasks() throws {
        let call = try Self.parse(#"{"jsonrpc":"2.0","id":1,"method":"ListTasks","params":{"status":"TASK_STATE_WORKING","pageSize":3}}"#).get()
        #expect(call.method == .listTasks(state: .working, pageSize: 3))
        let all = try Self.parse(#"{"jsonrpc":"2.0","id":1,"method":"ListTasks"}"#).get()
        #expect(all.method == .listTasks(state: nil, pageSize: A2ALimits.listPageSizeDefault))
    }

    @Test("an error carries the google.rpc.ErrorInfo detail whose reason the SDK reads")
    func errorShape() {
        let error = A2AError.taskNotFound("abc").json
        #expect(error["code"] == .integer(-32001))
        let detail = error["data"]?.array?.first
        #expect(detail?["@type"] == .string("type.googleapis.com/google.rpc.ErrorInfo"))
        #expect(detail?["reason"] == .string("TASK_NOT_FOUND"))
        #expect(A2AError.version(nil).reason == "VERSION_NOT_SUPPORTED")
        #expect(A2AError.notCancelable("x").reason == "TASK_NOT_CANCELABLE")
    }

    @Test("refusals are counted by reason under names /v1/health prints")
    func counters() {
        var counters = A2ACounters()
        counters.calls = 3
        counters.refused(.invalidParams("x"))
        counters.refused(.invalidParams("y"))
        counters.refused(.version(nil))
        let named = Dictionary(uniqueKeysWithValues: counters.named)
        #expect(named == ["a2aCalls": 3, "a2aStreamsOpened": 0, "a2aRefusedInvalidParams": 2, "a2aRefusedVersionNotSupported": 1])
    }
}
