import MeshTestSupport
import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import Testing

/// The A2A edge against a client nobody here wrote (issue 13, acceptance): the `a2a-sdk` Python
/// client, with the SDK's defaults, on a 3-node loopback mesh. Its script is
/// `Tests/MeshCLITests/Clients/a2a_client.py`.
@Suite("Real nodes: the a2a-sdk client", .serialized, .timeLimit(.minutes(5)))
struct A2AClientTests {
    /// `think` stays silent for 6 s (past httpx's 5 s default read timeout, so the stream must keep
    /// itself alive), then prints and writes `answer.txt` as its artifact; `slow` works for a minute;
    /// `copy` copies the attachment `inbox/note.txt` into its artifact `seen.txt`.
    static let profiles = """
        {"profiles": [
          {"name": "think", "command": ["/bin/sh", "-c",
            "cat > /dev/null; sleep 6; echo thought; printf 'the answer' > \\"${MESH_ARTIFACTS:-artifacts}/answer.txt\\""],
           "slots": 2, "tags": ["research"]},
          {"name": "slow", "command": ["/bin/sh", "-c", "cat > /dev/null; sleep 60"], "slots": 2},
          {"name": "copy", "command": ["/bin/sh", "-c",
            "cat > /dev/null; cp \\"$MESH_INBOX/note.txt\\" \\"$MESH_ARTIFACTS/seen.txt\\""], "slots": 2}
        ]}
        """

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Clients/a2a_client.py").path

    /// Runs the client script to its end (suspending, not blocking, between checks); its exit
    /// status (nil: killed after `timeout`) and the JSON line it printed.
    static func runClient(_ arguments: [String], in cluster: TestCluster, timeout: TimeInterval = 120) async throws
        -> (status: Int32?, report: JSONValue?, output: String) {
        let output = cluster.directory + "/a2a-client.out"
        let process = try ChildProcess.spawn(ClientRequirement.python, [script] + arguments, output: .file(output))
        let start = Date()
        while process.isRunning && Date().timeIntervalSince(start) < timeout {
            try await Task.sleep(nanoseconds: 100_000_000)   // polling the child with a deadline
        }
        if process.isRunning { process.kill() }
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init)
        return (process.exitStatus, line.flatMap { try? JSONValue.parse($0) }, text)
    }

    @Test("card; a streamed task through a silent agent to completed, followed through another node; a waiting send; the same task through another node",
          ClientRequirement.trait("a2a"))
    func sdkClient() async throws {
        let cluster = try TestCluster(subnet: 81)
        defer { cluster.shutdown() }
        try await cluster.startTaskNodes(3, profiles: Self.profiles)
        let (status, printed, output) = try await Self.runClient(Self.arguments(cluster), in: cluster)
        #expect(status == 0, "\(output)\n\(cluster.logTails())")
        let report = try #require(printed, "the client printed no report: \(output)")
        #expect(report["ok"] == .bool(true), "\(output)")
        #expect(report["skills"]?["think"] == .array([.string("research")]))
        #expect(report["endpoint"] == .string("http://\(cluster.httpAddress(1))/a2a"))
        #expect(report["states"]?.array?.last == .string("TASK_STATE_COMPLETED"))
        #expect((report["longest_silence"]?.double ?? 0) > 5, "the agent's silence outlasted the client's read timeout")
        #expect(report["subscription"]?.array?.last == .string("TASK_STATE_COMPLETED"))
        #expect(report["blocking"]?["state"] == .string("TASK_STATE_COMPLETED"))
        #expect(report["second_node"]?["endpoint"] == .string("http://\(cluster.httpAddress(2))/a2a"))
        // The task the client saw is the mesh's own: every node reports it under the same id.
        let id = try #require(report["task"]?.string.flatMap(TaskID.init))
        #expect(cluster.task(id, from: 3)?.taskState == "succeeded")
    }

    @Test("the artifact arrives, named and hashed, and a working task is cancelled: canceled, through another node too",
          ClientRequirement.trait("a2a"))
    func artifactAndCancel() async throws {
        let cluster = try TestCluster(subnet: 81)
        defer { cluster.shutdown() }
        try await cluster.startTaskNodes(3, profiles: Self.profiles)
        let (status, printed, output) = try await Self.runClient(Self.arguments(cluster) + [
            "--slow-skill", "slow", "--artifact", "answer.txt",
        ], in: cluster)
        #expect(status == 0, "\(output)\n\(cluster.logTails())")
        let report = try #require(printed, "the client printed no report: \(output)")
        #expect(report["ok"] == .bool(true), "\(output)")
        let id = try #require(report["task"]?.string)
        #expect(report["artifact"]?["url"] == .string("http://\(cluster.httpAddress(1))/v1/tasks/\(id)/artifacts/answer.txt"))
        #expect(report["artifact"]?["sha256"] == .string(MeshKey.hex(SHA256.hash(Array("the answer".utf8)))))
        #expect(report["cancel"]?["answer"] == .string("TASK_STATE_CANCELED"))
        #expect(report["cancel"]?["final"] == .string("TASK_STATE_CANCELED"))
        #expect(report["cancel"]?["subscription"]?.array?.last == .string("TASK_STATE_CANCELED"))
    }

    @Test("the artifact's link serves its bytes",
          ClientRequirement.trait("a2a"))
    func artifactLink() async throws {
        let cluster = try TestCluster(subnet: 81)
        defer { cluster.shutdown() }
        try await cluster.startTaskNodes(3, profiles: Self.profiles)
        let (status, printed, output) = try await Self.runClient(Self.arguments(cluster) + [
            "--artifact", "answer.txt", "--artifact-text", "the answer",
        ], in: cluster)
        #expect(status == 0 && printed?["ok"] == .bool(true), "\(output)")
    }

    @Test("a file part becomes an attachment: the agent finds it in its inbox", ClientRequirement.trait("a2a"))
    func filePart() async throws {
        let cluster = try TestCluster(subnet: 81)
        defer { cluster.shutdown() }
        try await cluster.startTaskNodes(3, profiles: Self.profiles)
        let text = "a note for the agent"
        let (status, printed, output) = try await Self.runClient(Self.arguments(cluster) + [
            "--file-skill", "copy", "--file", "note.txt", "--file-text", text,
        ], in: cluster)
        #expect(status == 0 && printed?["ok"] == .bool(true), "\(output)\n\(cluster.logTails())")
        #expect(printed?["file"]?["sha256"] == .string(MeshKey.hex(SHA256.hash(Array(text.utf8)))), "\(output)")
    }

    /// The nodes the client talks to and the silent skill.
    static func arguments(_ cluster: TestCluster) -> [String] {
        ["--first", "http://\(cluster.httpAddress(1))", "--second", "http://\(cluster.httpAddress(2))", "--skill", "think"]
    }

    @Test("browser-style cross-site requests to the A2A endpoint and the card are refused 403 and create nothing")
    func crossSite() async throws {
        let cluster = try TestCluster(subnet: 81)
        defer { cluster.shutdown() }
        try await cluster.startTaskNodes(1, profiles: Self.profiles)
        let ip = cluster.ip(1)
        let port = cluster.port + 1
        let send = #"{"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":{"messageId":"x","parts":[{"text":"hi"}]},"configuration":{"returnImmediately":true}}}"#
        func post(_ headers: [String]) -> String {
            "POST /a2a HTTP/1.1\r\n" + headers.map { $0 + "\r\n" }.joined() + "Content-Length: \(send.utf8.count)\r\n\r\n" + send
        }
        let own = "Host: \(ip):\(port)"
        let refusals: [([String], Int)] = [
            ([own, "Origin: http://evil.example", "Content-Type: text/plain"], 403),            // a form post
            ([own, "Origin: http://evil.example", "Content-Type: application/json", "A2A-Version: 1.0"], 403),
            (["Host: evil.example:\(port)", "Content-Type: application/json", "A2A-Version: 1.0"], 403),   // rebinding
            ([own, "Content-Type: text/plain", "A2A-Version: 1.0"], 415),
        ]
        for (headers, expected) in refusals {
            let answer = RawHTTP.exchange(ip, port, post(headers))
            #expect(answer.status == expected, "\(headers): \(answer.response)")
        }
        let card = RawHTTP.exchange(ip, port, "GET /.well-known/agent-card.json HTTP/1.1\r\n\(own)\r\nOrigin: http://evil.example\r\n\r\n")
        #expect(card.status == 403, "\(card.response)")
        #expect(cluster.tasks(from: 1)?.isEmpty == true, "nothing was created")
        // The same request with the node's own headers is obeyed: the refusals were the headers.
        let obeyed = RawHTTP.exchange(ip, port, post([own, "Content-Type: application/json", "A2A-Version: 1.0"]))
        #expect(obeyed.status == 200 && obeyed.response.contains("\"result\""), "\(obeyed.response)")
        #expect(cluster.tasks(from: 1)?.count == 1)
        let counters = cluster.health("t1")?.counters ?? [:]
        #expect(counters["a2aCalls"] == 1, "the refused requests never reached the A2A handler: \(counters)")
        #expect(counters["controlRejectedBadOrigin"] == 3 && counters["controlRejectedBadHost"] == 1)
    }
}
