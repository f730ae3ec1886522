import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import MeshTestSupport
import Testing

/// The live web page (`GET /`) on three real nodes on 127.0.82.x, loaded by Debian's headless
/// chromium through the DevTools protocol (`Clients/web_page.py`, standard library only).
@Suite("Real nodes: the live web page", .serialized, .timeLimit(.minutes(5)))
struct WebPageTests {
    /// Markup a task's log will hold (the `long` profile echoes its prompt): the page must show it
    /// as text, never as elements.
    static let hostile = #"<img id="injected" src="x" onerror="document.title='pwned'"><b>bold</b>"#

    /// `long` echoes its prompt, then ticks once a second for two minutes (the agent's own pace).
    static let profiles = """
        {"profiles": [
          {"name": "ok", "command": ["/bin/sh", "-c", "cat > /dev/null; echo done > \\"$MESH_ARTIFACTS/report.txt\\""], "slots": 4},
          {"name": "long", "command": ["/bin/sh", "-c", "cat; echo; i=0; while [ $i -lt 120 ]; do echo tick $i; i=$((i+1)); sleep 1; done"], "slots": 2}
        ]}
        """

    /// Where CI keeps the screenshot: `.build/artifacts/` of this package.
    static var artifacts: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".build/artifacts").path
    }

    @Test("chromium shows every member and a running task, and a task submitted later appears without a reload",
          ClientRequirement.chromium)
    func pageInChromium() async throws {
        let cluster = try TestCluster(subnet: 82)
        defer { cluster.shutdown() }
        try await cluster.startTaskNodes(3, profiles: Self.profiles)
        let running = try #require(cluster.submit(TaskSpec(profile: "long", prompt: Self.hostile), through: 2))
        await cluster.eventually("the long task runs", timeout: 30) { cluster.task(running, from: 1)?.taskState == "running" }
        let screenshot = Self.artifacts + "/web-page.png"
        unlink(screenshot)
        unlink(Self.artifacts + "/web-page-task.png")
        let result = try await Self.drive(cluster, screenshot: screenshot, members: "t1,t2,t3", running: running, submitThrough: 3)
        print("web page screenshot: \(screenshot)")
        #expect(result["links"]?.string?.contains("members: live") == true && result["links"]?.string?.contains("tasks: live") == true,
                "both feeds are streams: \(result)")
        #expect(result["error"] == nil, "\(result)")
        let shown = Set(result["members"]?.array?.compactMap { $0["name"]?.string } ?? [])
        #expect(shown == ["t1", "t2", "t3"], "\(result)")
        #expect(result["tasksAtLoad"]?.array?.contains(.string(running.description)) == true, "\(result)")
        let png = FileManager.default.contents(atPath: screenshot).map { Array($0.prefix(8)) }
        #expect(png == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "\(screenshot) is a PNG")
        let submitted = try #require(result["submitted"]?.string.flatMap(TaskID.init), "\(result)")
        #expect(!(result["tasksAtLoad"]?.array?.contains(.string(submitted.description)) ?? true))
        #expect(result["submittedShown"]?.bool == true && result["noReload"]?.bool == true, "\(result)")
        #expect(cluster.task(submitted, from: 1) != nil, "the task the page showed exists in the mesh")
        #expect(result["injected"]?.bool == false, "markup from the mesh became elements: \(result)")
        let artifact = result["artifacts"]?.array?.first { $0["name"]?.string == "report.txt" }
        let sha = SHA256.hash(Array("done\n".utf8)).map { String(format: "%02x", $0) }.joined()
        #expect(artifact?["sha256"]?.string == sha, "the artifact's SHA-256 as recorded: \(result)")
        #expect(artifact?["href"]?.string == "/v1/tasks/\(submitted)/artifacts/report.txt", "\(result)")
        if Self.servesLogs(cluster, running) {
            #expect(result["logShown"]?.bool == true && result["titleAfterLog"]?.string != "pwned", "\(result)")
        } else {
            print("web page: this build has no GET /v1/tasks/{id}/logs yet; the log view was not checked (\(result["logInfo"]?.string ?? ""))")
        }
    }

    @Test("with every event stream of its address taken, the page polls and still shows members and new tasks",
          ClientRequirement.chromium)
    func pagePollsWhenStreamsAreRefused() async throws {
        let cluster = try TestCluster(subnet: 82)
        defer { cluster.shutdown() }
        try await cluster.startTaskNodes(1, profiles: Self.profiles)
        let running = try #require(cluster.submit(TaskSpec(profile: "long", prompt: Self.hostile), through: 1))
        await cluster.eventually("the long task runs", timeout: 30) { cluster.task(running, from: 1)?.taskState == "running" }
        let (ip, port) = (cluster.ip(1), cluster.port + 1)
        var held: [Int32] = []
        defer { for fd in held { close(fd) } }
        for _ in 0..<ControlServer.Settings().eventStreamsPerSourceMax {
            let fd = try #require(RawHTTP.connect(ip, port, timeoutSeconds: 5))
            held.append(fd)
            #expect(RawHTTP.send(fd, Array("GET /v1/tasks/events HTTP/1.1\r\nHost: \(ip):\(port)\r\n\r\n".utf8)))
            let head = Self.read(fd, events: 1, named: "event: synced\n", deadline: Date().addingTimeInterval(10))
            #expect(head.hasPrefix("HTTP/1.1 200"), "stream \(held.count) is held: \(head.prefix(200))")
        }
        let result = try await Self.drive(cluster, screenshot: cluster.directory + "/polling.png", members: "t1",
                                          running: running, submitThrough: 1)
        #expect(result["error"] == nil, "\(result)")
        let links = result["links"]?.string ?? ""
        #expect(links.contains("members: polling") && links.contains("tasks: polling"), "\(result)")
        #expect(result["submittedShown"]?.bool == true && result["noReload"]?.bool == true, "\(result)")
    }

    @Test("GET / carries the CSP and nosniff; a foreign Host, Origin or cross-site fetch is refused; the member feed streams")
    func pageHeadersAndRules() async throws {
        let cluster = try TestCluster(subnet: 82)
        defer { cluster.shutdown() }
        try await cluster.startTaskNodes(1, profiles: Self.profiles)
        let (ip, port) = (cluster.ip(1), cluster.port + 1)
        let own = "Host: \(ip):\(port)"
        let page = RawHTTP.exchange(ip, port, "GET / HTTP/1.1\r\n\(own)\r\nSec-Fetch-Site: none\r\nConnection: close\r\n\r\n")
        #expect(page.status == 200, "\(page.response.prefix(300))")
        #expect(page.response.contains("Content-Security-Policy: \(WebPage.contentSecurityPolicy)\r\n"))
        #expect(page.response.contains("X-Content-Type-Options: nosniff\r\n") && page.response.contains("Content-Type: text/html"))
        #expect(page.response.hasSuffix(WebPage.html), "the body is the page")
        for header in ["Host: evil.example:\(port)", "\(own)\r\nOrigin: http://evil.example",
                       "\(own)\r\nSec-Fetch-Site: cross-site", "\(own)\r\nSec-Fetch-Site: same-site"] {
            let refused = RawHTTP.exchange(ip, port, "GET / HTTP/1.1\r\n\(header)\r\nConnection: close\r\n\r\n")
            #expect(refused.status == 403 && !refused.response.contains("<html"), "\(header): \(refused.response.prefix(200))")
        }
        let post = RawHTTP.exchange(ip, port, "POST / HTTP/1.1\r\n\(own)\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
        #expect(post.status == 405, "\(post.response.prefix(200))")
        let fd = try #require(RawHTTP.connect(ip, port, timeoutSeconds: 5))
        defer { close(fd) }
        #expect(RawHTTP.send(fd, Array("GET /v1/status/events HTTP/1.1\r\n\(own)\r\nAccept: text/event-stream\r\n\r\n".utf8)))
        // Two events: one when the stream opens, the next `StatusFeed.interval` later.
        let stream = Self.read(fd, events: 2, named: "event: status\n", deadline: Date().addingTimeInterval(15))
        #expect(stream.components(separatedBy: "event: status\n").count == 3, "\(stream.prefix(600))")
        #expect(stream.hasPrefix("HTTP/1.1 200") && stream.contains("Content-Type: text/event-stream"), "\(stream.prefix(300))")
        let data = stream.components(separatedBy: "event: status\n").dropFirst().first?.split(separator: "\n")
            .first { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) } ?? "null"
        let status = try StatusReport(json: try JSONValue.parse(data))
        #expect(status.selfName == "t1" && status.members.count == 1, "\(data)")
    }

    /// Runs `Clients/web_page.py` against node 1: it loads the page, waits for `members` alive and
    /// `running` running, screenshots, submits an `ok` task through node `submitThrough`, opens `running`.
    static func drive(_ cluster: TestCluster, screenshot: String, members: String, running: TaskID,
                      submitThrough: Int) async throws -> JSONValue {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Clients/web_page.py").path
        return try await drive(cluster, [script, "--chromium", ClientRequirement.chromiumPath,
            "--url", "http://\(cluster.httpAddress(1))/", "--screenshot", screenshot, "--members", members,
            "--running", running.description, "--submit", "http://\(cluster.httpAddress(submitThrough))", "--profile", "ok",
            "--hostile", running.description, "--hostile-text", hostile, "--artifact", "report.txt", "--timeout", "90"])
    }

    /// Runs the driver with a deadline (polled, not waited on with a blocked thread); its last line as JSON.
    static func drive(_ cluster: TestCluster, _ arguments: [String]) async throws -> JSONValue {
        let output = cluster.directory + "/web-page-driver.out"
        let process = try ChildProcess.spawn(ClientRequirement.standardPython, arguments, output: .file(output))
        let deadline = Date().addingTimeInterval(150)
        while process.isRunning && Date() < deadline { try await Task.sleep(nanoseconds: 100_000_000) }
        if process.isRunning { process.kill() }
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init)
        return try JSONValue.parse(try #require(line, "the driver printed no result:\n\(text.suffix(2000))"))
    }

    /// True when the node serves the evidence contract's log route (another engineer's work).
    static func servesLogs(_ cluster: TestCluster, _ id: TaskID) -> Bool {
        let (ip, port) = (cluster.ip(1), cluster.port + 1)
        let answer = RawHTTP.exchange(ip, port, "GET /v1/tasks/\(id)/logs HTTP/1.1\r\nHost: \(ip):\(port)\r\nConnection: close\r\n\r\n")
        return answer.status == 200
    }

    /// What arrives on `fd` until `events` whole events headed `marker` have been read, or `deadline` passes.
    static func read(_ fd: Int32, events: Int, named marker: String, deadline: Date) -> String {
        var bytes = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while Date() < deadline {
            let parts = String(decoding: bytes, as: UTF8.self).components(separatedBy: marker)
            if parts.count > events, parts[events].contains("\n\n") { return String(decoding: bytes, as: UTF8.self) }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
