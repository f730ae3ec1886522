import MeshTestSupport
import Foundation
import Glibc
import MeshCore
import MeshRuntime
import Testing

/// The described HTTP API on real nodes (issue 13 items 1 and 4), on 127.0.79.x: the live task
/// feed, pages of the task listing, browser-style cross-site requests to every path refused, and
/// the third-party clients: openapi-spec-validator with a walk of every path, schemathesis,
/// prometheus_client's parser. Serialized: the tests share the subnet, each on its own addresses.
@Suite("Real nodes: the described HTTP API", .serialized, .timeLimit(.minutes(10)))
struct APIDescribedTests {
    /// Paths the OpenAPI document describes per the shared contract of issues 10 and 13 whose
    /// handlers other branches add. Remove each once its handler is merged: the walk then checks it.
    static let pendingPaths: [String] = []

    static let profiles = """
        {"profiles": [{"name": "shell", "command": ["/bin/sh", "-c", "cat > /dev/null; echo done"], "slots": 4},
                      {"name": "slow", "command": ["/bin/sh", "-c", "cat > /dev/null; sleep 1"], "slots": 2}]}
        """

    /// Starts `a<first>`…`a<first+count-1>` on 127.0.79.first… with `profiles`, all joined.
    static func start(_ cluster: TestCluster, first: Int, count: Int) async throws {
        let config = cluster.directory + "/profiles-\(first).json"
        try profiles.write(toFile: config, atomically: true, encoding: .utf8)
        for index in first..<(first + count) {
            try cluster.start("a\(index)", index: index, join: index == first ? [] : [first], preset: "local",
                              extra: ["--config", config])
        }
        await cluster.eventually("every node is alive with its profiles", timeout: 20) {
            guard let status = cluster.status("a\(first)") else { return false }
            return status.members.count == count && status.members.allSatisfy { $0.state == "alive" && $0.capacity != nil }
        }
    }

    static func base(_ cluster: TestCluster, _ index: Int) -> String { "http://\(cluster.httpAddress(index))" }

    @Test("the live feed pushes a task's changes until it succeeds; pages of the listing cover every task once")
    func feedAndPages() async throws {
        let cluster = try TestCluster(subnet: 79)
        defer { cluster.shutdown() }
        try await Self.start(cluster, first: 1, count: 2)
        let fd = try #require(RawHTTP.connect(cluster.ip(2), cluster.port + 1, timeoutSeconds: 5))
        defer { close(fd) }
        #expect(RawHTTP.send(fd, Array("GET /v1/tasks/events HTTP/1.1\r\nHost: \(cluster.httpAddress(2))\r\n\r\n".utf8)))
        let head = EventStreamReader.read(fd, until: { $0.contains("event: synced") })
        #expect(head.hasPrefix("HTTP/1.1 200") && head.contains("text/event-stream"), "\(head)")
        let id = try #require(cluster.submit(TaskSpec(profile: "shell", prompt: "hi"), through: 1))
        let feed = EventStreamReader.read(fd, until: { $0.contains("\"succeeded\"") })
        #expect(feed.contains("event: task\nid: ") && feed.contains("\"id\":\"\(id)\"") && feed.contains("\"state\":\"succeeded\""), "\(feed)")
        for index in 0..<6 { _ = try #require(cluster.submit(TaskSpec(profile: "shell", prompt: "p\(index)"), through: 1 + index % 2)) }
        var seen: [String] = []
        var after: String?
        var pages = 0
        repeat {
            let answer = try cluster.client(1).exchange("GET", "/v1/tasks?limit=3" + (after.map { "&after=\($0)" } ?? ""))
            let page = try JSONValue.parse(String(decoding: answer.body, as: UTF8.self))
            seen += (page["tasks"]?.array ?? []).compactMap { $0["id"]?.string }
            after = page["next"]?.string
            pages += 1
        } while after != nil && pages < 10
        #expect(pages == 3 && seen.count == 7 && Set(seen).count == 7, "\(pages) pages: \(seen)")
    }

    @Test("browser-style cross-site requests to every path are refused with 403 and create nothing")
    func crossSiteRefused() async throws {
        let cluster = try TestCluster(subnet: 79)
        defer { cluster.shutdown() }
        try await Self.start(cluster, first: 11, count: 1)
        let id = try #require(cluster.submit(TaskSpec(profile: "shell", prompt: "before"), through: 11))
        let document = try JSONValue.parse(String(decoding: try cluster.client(11).request("GET", "/v1/openapi.json"), as: UTF8.self))
        let described = try #require(document["paths"]?.object).map(\.0)
        let paths = Set(described + ["/", "/metrics", "/.well-known/agent-card.json", "/a2a", "/v1/leave", "/nosuch"])
        #expect(paths.count >= 20, "\(paths)")
        let host = cluster.httpAddress(11)
        let task = #"{"profile":"shell","prompt":"from a web page"}"#
        let variants: [[String]] = [
            ["Origin: http://evil.example", "Sec-Fetch-Site: cross-site", "Content-Type: text/plain"],
            ["Origin: http://evil.example", "Content-Type: application/x-www-form-urlencoded"],
            ["Origin: null", "Content-Type: multipart/form-data; boundary=x"],
            ["Sec-Fetch-Site: cross-site", "Content-Type: text/plain"],
            ["Sec-Fetch-Site: same-site", "Content-Type: application/json"],
        ]
        for path in paths.sorted() {
            let target = path.replacingOccurrences(of: "{id}", with: id.description).replacingOccurrences(of: "{name}", with: "x")
            for method in ["GET", "POST"] {
                for headers in variants {
                    let body = method == "POST" ? task : ""
                    let request = "\(method) \(target) HTTP/1.1\r\nHost: \(host)\r\n" + headers.map { $0 + "\r\n" }.joined()
                        + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
                    let answer = RawHTTP.exchange(cluster.ip(11), cluster.port + 1, request)
                    #expect(answer.status == 403 && answer.response.contains("\"code\":\"forbidden\""),
                            "\(method) \(target) \(headers): \(answer.response.prefix(300))")
                }
            }
        }
        // Every one was refused by the policy, before any route: counted as a bad origin.
        let refused = cluster.health("a11")?.counters["controlRejectedBadOrigin"]
        #expect(refused == UInt64(paths.count * 2 * variants.count), "\(String(describing: refused))")
        let tasks = try #require(cluster.tasks(from: 11))
        #expect(tasks.count == 1 && tasks.first?["id"]?.string == id.description, "\(tasks)")
        #expect(cluster.status("a11")?.members.count == 1, "the node is still running")
    }

    @Test("openapi-spec-validator accepts /v1/openapi.json and every path answers as described",
          ClientRequirement.trait("openapi_spec_validator"))
    func documentWalk() async throws {
        let cluster = try TestCluster(subnet: 79)
        defer { cluster.shutdown() }
        try await Self.start(cluster, first: 21, count: 2)
        let id = try #require(cluster.submit(TaskSpec(profile: "shell", prompt: "walk"), through: 21))
        let (status, output) = await ClientScript.run("openapi_walk.py", [Self.base(cluster, 21), id.description, "param:to=a22"]
                                                + Self.pendingPaths, timeout: 120)
        #expect(status == 0, "\(output)")
        #expect(output.contains("openapi-spec-validator accepts") && output.contains("POST /v1/leave -> 202"), "\(output)")
    }

    @Test("schemathesis: a bounded run of generated requests finds no 5xx and no answer that breaks the document",
          ClientRequirement.trait("schemathesis"))
    func schemathesis() async throws {
        let cluster = try TestCluster(subnet: 79)
        defer { cluster.shutdown() }
        try await Self.start(cluster, first: 31, count: 2)
        _ = cluster.submit(TaskSpec(profile: "shell", prompt: "seed"), through: 31)
        // Left out: routes that change the mesh itself (leave would stop the node, join would dial
        // generated addresses, key changes would cut the node off),
        // the live feeds (they never end), and the routes other branches add (pending).
        var arguments = ["-m", "schemathesis.cli", "run", Self.base(cluster, 31) + "/v1/openapi.json",
                         "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance",
                         "--max-examples", "5", "--seed", "1", "--workers", "1", "--request-timeout", "10",
                         "--phases", "examples,coverage,fuzzing", "--suppress-health-check", "all",
                         "--exclude-path-regex", "^/v1/keys/", "--exclude-path", "/v1/tasks/events",
                         "--exclude-path", "/v1/status/events"]
        for path in ["/v1/leave", "/v1/join", "/v1/force-leave"] + Self.pendingPaths { arguments += ["--exclude-path", path] }
        let (status, output) = await ClientScript.run(nil, arguments, timeout: 300)
        #expect(status == 0, "\(output.suffix(6000))")
        #expect(output.contains("generated"), "\(output.suffix(2000))")
    }

    @Test("prometheus_client's parser reads /metrics: every family has HELP and TYPE, the issue's families are there",
          ClientRequirement.trait("prometheus_client"))
    func prometheus() async throws {
        let cluster = try TestCluster(subnet: 79)
        defer { cluster.shutdown() }
        try await Self.start(cluster, first: 41, count: 1)   // alone: the entry node runs the task too
        let id = try #require(cluster.submit(TaskSpec(profile: "shell", prompt: "measured"), through: 41))
        await cluster.eventually("the task succeeded", timeout: 20) { cluster.task(id, from: 41)?["state"]?.string == "succeeded" }
        let (status, output) = await ClientScript.run("prometheus_parse.py", [Self.base(cluster, 41)], timeout: 60)
        #expect(status == 0, "\(output)")
    }
}

/// Reads a Server-Sent Events stream from a raw socket.
enum EventStreamReader {
    /// Reads until `done` holds for everything read, the peer closes, or 30 s pass.
    static func read(_ fd: Int32, until done: (String) -> Bool) -> String {
        var bytes = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !done(String(decoding: bytes, as: UTF8.self)) {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            guard count > 0 else { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Runs a Python client script from `Tests/MeshCLITests/Clients` (or `python ARGUMENTS` when no
/// script is named) with the clients venv's python.
enum ClientScript {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Clients").path

    /// The exit status (nil when it did not finish within `timeout` and was killed) and the output.
    /// Suspends between polls (never blocks one of the few cooperative threads every test shares).
    static func run(_ script: String?, _ arguments: [String], timeout: TimeInterval) async -> (status: Int32?, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ClientRequirement.python)
        process.arguments = (script.map { [directory + "/" + $0] } ?? []) + arguments
        // Run in the temporary directory: some clients leave caches in their working directory
        // (schemathesis writes `.schemathesis/`), which must never land in the checkout.
        process.currentDirectoryURL = FileManager.default.temporaryDirectory
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-client-\(UUID().uuidString).out")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        guard let handle = try? FileHandle(forWritingTo: output) else { return (nil, "cannot write \(output.path)") }
        process.standardOutput = handle
        process.standardError = handle
        do { try process.run() } catch { return (nil, "cannot start \(ClientRequirement.python): \(error)") }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { try? await Task.sleep(nanoseconds: 50_000_000) }   // polling the child
        if process.isRunning { process.terminate(); process.waitUntilExit(); try? handle.close(); return (nil, "timed out") }
        try? handle.close()
        return (process.terminationStatus, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
    }
}
