import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import Testing

/// The task API and `mesh submit` / `mesh task` / `mesh tasks` against three real nodes on
/// 127.0.69.x, with small shell scripts as profiles.
@Suite("Real nodes: the task API and its commands", .serialized, .timeLimit(.minutes(5)))
struct TaskAPITests {
    @Test("tasks submitted through each node are read with the same state, owner and history from every node")
    func submitThroughEveryNode() async throws {
        let cluster = try TestCluster(subnet: 69)
        defer { cluster.shutdown() }
        try await cluster.startTaskNodes(3)
        var ids: [TaskID] = []
        for index in 1...3 {
            let (status, output) = cluster.runCapturing(["submit", "--profile", "ok", "--prompt", "task \(index)",
                                                         "--json", "--http", cluster.httpAddress(index)], timeout: 20)
            #expect(status == 0, "submit through t\(index): \(output)")
            let answer = try JSONValue.parse(output)
            #expect(answer["copies"]?.integer == 2 && answer["state"]?.string == "accepted", "\(output)")
            ids.append(try #require(answer["id"]?.string.flatMap(TaskID.init), "\(output)"))
        }
        for id in ids {
            await cluster.eventually("task \(id) succeeded", timeout: 30) { cluster.task(id, from: 1)?.taskState == "succeeded" }
            let views = (1...3).compactMap { cluster.task(id, from: $0) }
            #expect(views.count == 3, "every node answers for \(id)")
            #expect(Set(views.map { $0.serialized() }).count == 1, "every node gives the same record: \(views)")
            let record = try #require(views.first)
            #expect(record.events("succeeded").count == 1 && record.history.first?.taskState == "accepted")
            #expect(["t1", "t2", "t3"].contains(record.taskOwner ?? ""))
        }
        let table = try #require(cluster.runInLauncher(["task", ids[0].description, "--http", cluster.httpAddress(3)]))
        #expect(table.contains("task \(ids[0]): succeeded") && table.contains("AT") && table.contains("exit 0"), "\(table)")
        let listing = try #require(cluster.runInLauncher(["tasks", "--state", "succeeded", "--http", cluster.httpAddress(2)]))
        #expect(listing.contains("3 tasks (answered by 3 of 3 members)"), "\(listing)")
        for id in ids { #expect(listing.contains(id.description)) }
        let json = try JSONValue.parse(try #require(cluster.runInLauncher(["tasks", "--json", "--http", cluster.httpAddress(1)])))
        #expect(json["tasks"]?.array?.count == 3 && json["membersAnswered"]?.integer == 3)
    }

    @Test("a bad field is a 400 naming it, an unknown profile a clear error; nothing is created")
    func refusals() async throws {
        let cluster = try TestCluster(subnet: 69)
        defer { cluster.shutdown() }
        try await cluster.startTaskNodes(3)
        let client = cluster.client(2)
        for (body, field) in [(#"{"profile":"ok","prompt":"x","colour":"red"}"#, "colour"),
                              (#"{"profile":"ok","prompt":"x","attempts":0}"#, "attempts"),
                              (#"{"profile":"ok","prompt":"x","timeout":"soon"}"#, "timeout"),
                              (#"{"prompt":"x"}"#, "profile"), (#"[1]"#, "body")] {
            let (status, answer) = try client.exchange("POST", "/v1/tasks", body: Array(body.utf8))
            let json = try JSONValue.parse(String(decoding: answer, as: UTF8.self))
            #expect(status == 400 && json["error"]?["field"]?.string == field && json["error"]?["code"]?.string == "bad_field", "\(body): \(json)")
        }
        let unknown = try client.submitTask(TaskSpec(profile: "nosuch", prompt: "x"))
        #expect(unknown.status == 400 && unknown.errorCode == "unknown_profile", "\(unknown)")
        let (status, output) = cluster.runCapturing(["submit", "--profile", "nosuch", "--prompt", "x", "--http", cluster.httpAddress(1)])
        #expect(status == 2 && output.contains("unknown profile 'nosuch'"), "\(output)")
        let badDuration = cluster.runCapturing(["submit", "--profile", "ok", "--prompt", "x", "--timeout", "5 minutes",
                                                "--http", cluster.httpAddress(1)])
        #expect(badDuration.status == 2 && badDuration.output.contains("--timeout must be a duration"), "\(badDuration.output)")
        #expect(try client.exchange("GET", "/v1/tasks?state=done").status == 400)
        #expect(try client.exchange("GET", "/v1/tasks/\(TaskID.idempotent(key: "never"))").status == 404)
        #expect(try client.exchange("GET", "/v1/tasks/not-an-id").status == 400)
        #expect(try client.exchange("DELETE", "/v1/tasks").status == 405)
        #expect(cluster.tasks(from: 3)?.isEmpty == true, "nothing was created")
    }

    @Test("submit --wait prints one JSON object and exits 0 only on succeeded; an idempotency key lands on the same task")
    func waitAndIdempotency() async throws {
        let cluster = try TestCluster(subnet: 69)
        defer { cluster.shutdown() }
        try await cluster.startTaskNodes(3)
        let good = cluster.runCapturing(["submit", "--profile", "ok", "--prompt", "x", "--wait", "--http", cluster.httpAddress(1)],
                                        timeout: 30)
        #expect(good.status == 0, "\(good.output)")
        #expect(try JSONValue.parse(good.output).taskState == "succeeded", "exactly one JSON object: \(good.output)")
        let bad = cluster.runCapturing(["submit", "--profile", "fail", "--prompt", "x", "--attempts", "1", "--wait",
                                        "--http", cluster.httpAddress(2)], timeout: 30)
        #expect(bad.status == 1, "\(bad.output)")
        let failed = try JSONValue.parse(bad.output)
        #expect(failed.taskState == "failed" && failed.events("failed").count == 1, "\(bad.output)")
        let spec = TaskSpec(profile: "ok", prompt: "same", idempotencyKey: "build-42")
        let first = try #require(cluster.submit(spec, through: 1))
        let again = try cluster.client(3).submitTask(spec)
        #expect(again.status == 200 && again.json["id"]?.string == first.description, "\(again)")
    }

    @Test("a kept-alive connection carries many requests, one answer each, in order")
    func keepAlive() async throws {
        let cluster = try TestCluster(subnet: 69)
        defer { cluster.shutdown() }
        try await cluster.startTaskNodes(1)
        let connection = try KeepAliveConnection(endpoint: SocketEndpoint(parsing: cluster.httpAddress(1))!)
        defer { connection.close() }
        for round in 0..<20 {
            let body = #"{"profile":"ok","prompt":"round \#(round)"}"#
            let answer = try connection.send("POST", "/v1/tasks", body: Array(body.utf8))
            #expect(answer.status == 201, "round \(round): \(answer)")
        }
        let listing = try connection.send("GET", "/v1/tasks")
        #expect(listing.status == 200 && connection.connectionsOpened == 1, "one connection for every request")
        #expect(try JSONValue.parse(String(decoding: listing.body, as: UTF8.self))["tasks"]?.array?.count == 20)
    }
}
