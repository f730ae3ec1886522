import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import MeshTestSupport
import Testing

/// Attachments, live logs and artifacts between real nodes on 127.0.77.x (issue 10 §2, §4).
@Suite("Real nodes: attachments, live logs and artifacts", .serialized, .timeLimit(.minutes(5)))
struct DataPlaneTests {
    @Test("an attachment arrives byte-identical and hash-checked on owner and replica; artifacts download through another node with verified hashes")
    func attachmentsAndArtifacts() async throws {
        let cluster = try TestCluster(subnet: 77)
        defer { cluster.shutdown() }
        try await cluster.startTaskNodes(3, profiles: cluster.dataProfiles())
        let file = try cluster.randomFile("data.bin", bytes: 3_000_123)
        let hash = try #require(TestCluster.sha256(ofFile: file))
        let (status, output) = cluster.runCapturing(["submit", "--profile", "inbox", "--prompt", "x", "--attach", file,
                                                     "--wait", "--http", cluster.httpAddress(3)], timeout: 60)
        #expect(status == 0, "submit --attach --wait: \(output)")
        let record = try JSONValue.parse(output)
        let id = try #require(record["id"]?.string.flatMap(TaskID.init))
        let owner = try #require(record.taskOwner)
        #expect(record["attachments"]?.array?.first?["sha256"]?.string == hash, "\(output)")
        // Owner and replica hold the blob, and it is the file, byte for byte.
        let holders = ["t1", "t2", "t3"].filter { cluster.blobs($0).blobs.contains(hash) }
        #expect(holders.count >= 2 && holders.contains(owner), "blob held by \(holders), owner \(owner)")
        for holder in holders {
            #expect(TestCluster.sha256(ofFile: cluster.dataDirectory(holder) + "/blobs/" + hash) == hash)
            #expect(cluster.blobs(holder).temporary.isEmpty, "no partial file left on \(holder)")
        }
        let inbox = cluster.dataDirectory(owner) + "/tasks/\(id)/inbox/data.bin"
        #expect(FileManager.default.contentsEqual(atPath: inbox, andPath: file), "the agent's inbox holds the file")
        // Artifacts: bytes through a node that did not run the task, hashes from a third one.
        let executor = try #require(record.events("running").last?["node"]?.string)
        let others = [1, 2, 3].filter { "t\($0)" != executor }
        let out = cluster.directory + "/out"
        let (downloaded, listing) = cluster.runCapturing(["artifacts", id.description, "--out", out, "--json",
                                                          "--http", cluster.httpAddress(others[0]),
                                                          "--verify-http", cluster.httpAddress(others[1])], timeout: 30)
        #expect(downloaded == 0, "mesh artifacts: \(listing)")
        #expect(FileManager.default.contentsEqual(atPath: out + "/copy.bin", andPath: file))
        let sums = (try? String(contentsOfFile: out + "/sums.txt", encoding: .utf8)) ?? ""
        #expect(sums.contains("\(hash)  data.bin"), "the agent saw the attachment intact: \(sums)")
        // The bytes route answers with the hash in its headers.
        let (code, head) = RawHTTP.exchange(cluster.ip(others[0]), cluster.port + 1,
                                            "GET /v1/tasks/\(id)/artifacts/copy.bin HTTP/1.1\r\nHost: \(cluster.httpAddress(others[0]))\r\n\r\n")
        #expect(code == 200 && head.contains("X-Mesh-SHA256: \(hash)") && head.contains("ETag: \"\(hash)\""), "\(head.prefix(400))")
        let (listed, list) = RawHTTP.exchange(cluster.ip(others[1]), cluster.port + 1,
                                              "GET /v1/tasks/\(id)/artifacts HTTP/1.1\r\nHost: \(cluster.httpAddress(others[1]))\r\n\r\n")
        #expect(listed == 200 && list.contains(#""source":"history""#) && list.contains(hash), "the hashes come from the history: \(list)")
    }

    @Test("a path-traversing, control-character or oversized attachment is refused with a clear error and nothing is stored")
    func refusedAttachments() async throws {
        let cluster = try TestCluster(subnet: 77)
        defer { cluster.shutdown() }
        try await cluster.startTaskNodes(1, profiles: cluster.dataProfiles())
        let host = cluster.ip(1), port = cluster.port + 1
        func upload(_ name: String, length: Int, body: String = "") -> (Int?, String) {
            RawHTTP.exchange(host, port, "POST /v1/attachments?name=\(name) HTTP/1.1\r\nHost: \(host):\(port)\r\n"
                + "Content-Type: application/octet-stream\r\nContent-Length: \(length)\r\n\r\n\(body)")
        }
        for (name, why) in [("..", "is not a file name"), ("..%2F..%2Fetc%2Fpasswd", "base name"), ("%2Fetc%2Fpasswd", "base name"),
                            ("a%0Ab", "control characters"), ("bell%07", "control characters"), ("-rf", "start with '-'")] {
            let (status, answer) = upload(name, length: 5, body: "hello")
            #expect(status == 400 && answer.contains(why), "\(name): \(answer)")
        }
        let (status, answer) = upload("big.bin", length: Int(TaskLimits.attachmentBytesDefault) + 1)
        #expect(status == 413 && answer.contains("at most \(TaskLimits.attachmentBytesDefault) bytes"), "\(answer)")
        let (json, jsonAnswer) = RawHTTP.exchange(host, port, "POST /v1/attachments?name=a.txt HTTP/1.1\r\nHost: \(host):\(port)\r\n"
            + "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        #expect(json == 415, "\(jsonAnswer)")
        // The CLI refuses such names before sending a byte; a submission naming a blob never uploaded is a 400.
        let bad = try cluster.randomFile("-rf", bytes: 10)
        let (cli, cliOutput) = cluster.runCapturing(["submit", "--profile", "inbox", "--prompt", "x", "--attach", bad, "--http", cluster.httpAddress(1)])
        #expect(cli == 2 && cliOutput.contains("must not start with '-'"), "\(cliOutput)")
        let body = #"{"profile":"inbox","prompt":"x","attachments":[{"name":"a.txt","size":5,"sha256":"\#(String(repeating: "ab", count: 32))"}]}"#
        let (submitted, submitAnswer) = try cluster.client(1).exchange("POST", "/v1/tasks", body: Array(body.utf8))
        #expect(submitted == 400 && String(decoding: submitAnswer, as: UTF8.self).contains("was not uploaded"))
        let traversal = #"{"profile":"inbox","prompt":"x","attachments":[{"name":"../x","size":5,"sha256":"\#(String(repeating: "ab", count: 32))"}]}"#
        let (refused, _) = try cluster.client(1).exchange("POST", "/v1/tasks", body: Array(traversal.utf8))
        #expect(refused == 400)
        let (blobs, temporary) = cluster.blobs("t1")
        #expect(blobs.isEmpty && temporary.isEmpty, "nothing stored: \(blobs) \(temporary)")
        #expect(cluster.tasks(from: 1)?.isEmpty == true, "no task created")
    }

    @Test("logs -f shows output while the agent still runs, through another node, and a reader resumes from its cursor")
    func followedLogs() async throws {
        let cluster = try TestCluster(subnet: 77)
        defer { cluster.shutdown() }
        try await cluster.startTaskNodes(3, profiles: cluster.dataProfiles())
        let id = try #require(cluster.submit(TaskSpec(profile: "gated", prompt: "x"), through: 1))
        var executor = ""
        await cluster.eventually("the task runs", timeout: 20) {
            guard let record = cluster.task(id, from: 1), record.taskState == "running" else { return false }
            executor = record.events("running").last?["node"]?.string ?? ""
            return true
        }
        let reader = [1, 2, 3].first { "t\($0)" != executor }!
        let output = cluster.directory + "/follow.out"
        let follower = try ChildProcess.spawn(MeshBinary.path, ["logs", id.description, "-f", "--http", cluster.httpAddress(reader)],
                                              output: .file(output))
        defer { follower.kill() }
        func printed() -> String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }
        await cluster.eventually("logs -f printed the first line", timeout: 20) { printed().contains("first line\n") }
        #expect(cluster.task(id, from: 1)?.taskState == "running", "the agent still runs (it waits for the gate)")
        #expect(!printed().contains("second line"))
        FileManager.default.createFile(atPath: cluster.directory + "/gate", contents: Data())
        await cluster.eventually("logs -f printed the second line", timeout: 20) { printed().contains("second line\n") }
        #expect(follower.waitForExit(timeout: 20) == 0, "logs -f ends with the task: \(printed())")
        #expect(printed().hasSuffix("first line\nsecond line\n"), "\(printed())")
        // Resuming: from the byte after the first line, through yet another node.
        let offset = "first line\n".utf8.count
        let (status, rest) = cluster.runCapturing(["logs", id.description, "--from", "1:\(offset)", "--http", cluster.httpAddress(reader == 1 ? 2 : 1)])
        #expect(status == 0 && rest == "second line\n", "\(rest)")
        let (code, response) = RawHTTP.exchange(cluster.ip(reader), cluster.port + 1,
                                                "GET /v1/tasks/\(id)/logs?attempt=1&from=\(offset) HTTP/1.1\r\nHost: \(cluster.httpAddress(reader))\r\n\r\n")
        #expect(code == 200 && response.contains("X-Mesh-Log-Offset: \(offset)") && response.contains("second line"), "\(response)")
    }

    @Test("logs -f survives the executor's death: it moves to the attempt that runs elsewhere, marks it, and ends with the task")
    func followedLogsAcrossAFailover() async throws {
        let cluster = try TestCluster(subnet: 77)
        defer { cluster.shutdown() }
        try await cluster.startTaskNodes(3, profiles: cluster.dataProfiles())
        let id = try #require(cluster.submit(TaskSpec(profile: "gated", prompt: "x"), through: 1))
        var executor = ""
        await cluster.eventually("the task runs", timeout: 20) {
            guard let record = cluster.task(id, from: 1), record.taskState == "running" else { return false }
            executor = record.events("running").last?["node"]?.string ?? ""
            return true
        }
        let reader = [1, 2, 3].first { "t\($0)" != executor }!
        let output = cluster.directory + "/failover.out"
        let follower = try ChildProcess.spawn(MeshBinary.path, ["logs", id.description, "-f", "--http", cluster.httpAddress(reader)],
                                              output: .file(output))
        defer { follower.kill() }
        func printed() -> String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }
        await cluster.eventually("logs -f printed attempt 1's first line", timeout: 20) { printed().contains("first line") }
        cluster.kill(executor)
        await cluster.eventually("the task runs again on another node", timeout: 60) {
            guard let record = cluster.task(id, from: reader) else { return false }
            return record.events("running").contains { $0["node"]?.string != executor }
        }
        await cluster.eventually("logs -f marked the new attempt and printed its first line", timeout: 30) {
            printed().contains("--- attempt ") && printed().components(separatedBy: "first line").count == 3
        }
        FileManager.default.createFile(atPath: cluster.directory + "/gate", contents: Data())
        #expect(follower.waitForExit(timeout: 30) == 0, "logs -f ends with the task: \(printed())")
        #expect(printed().hasSuffix("second line\n"), "\(printed())")
    }
}
