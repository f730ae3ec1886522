import Foundation
import Glibc
import MeshCore
import MeshRuntime
import Testing

/// `mesh demo --json` end to end (the built binary, three real nodes on 127.0.78.x), and the
/// ready agent configs in `configs/`.
@Suite("Real nodes: the demo's story and the agent configs", .serialized, .timeLimit(.minutes(3)))
struct DemoStoryTests {
    /// The issue's bound on the whole demo.
    static let demoSecondsMax: Double = 60

    static let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    @Test("mesh demo --json: three tasks succeed, one re-runs on another node after the kill, hashes verified, nothing left behind")
    func story() throws {
        let scratch = try TestCluster(subnet: 78)
        defer { scratch.shutdown() }
        let out = "\(scratch.directory)/demo.out", err = "\(scratch.directory)/demo.err"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: MeshBinary.path)
        process.arguments = ["demo", "--json", "--first-ip", scratch.ip(1), "--port", String(scratch.port)]
        process.environment = ChildProcess.environment()
        #expect(FileManager.default.createFile(atPath: out, contents: nil) && FileManager.default.createFile(atPath: err, contents: nil))
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        let started = Date()
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }
        DemoAndBenchTests.expectProbeSees("\(scratch.ip(1)):\(scratch.port)", in: scratch)
        while process.isRunning && Date().timeIntervalSince(started) < Self.demoSecondsMax + 30 { usleep(50_000) }   // poll, deadline
        let elapsed = Date().timeIntervalSince(started)
        let narration = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        try #require(!process.isRunning, "the demo still runs after \(Int(elapsed)) s: \(narration)")
        #expect(process.terminationReason == .exit && process.terminationStatus == 0, "\(narration)")
        #expect(elapsed < Self.demoSecondsMax, "the demo took \(elapsed) s")
        let summary = try JSONValue.parse(String(contentsOfFile: out, encoding: .utf8))
        try Self.checkStory(summary, narration: narration)
        let hasDataPlane = scratch.runCapturing(["logs", "--help"]).status == 0
        #expect(summary["dataPlane"]?.bool == hasDataPlane, "the demo uses the data plane whenever the build has it")
        let directory = try #require(summary["directory"]?.string)
        #expect(directory.hasPrefix("/tmp/mesh-demo-") && !FileManager.default.fileExists(atPath: directory), "\(directory) removed")
        #expect(try DemoAndBenchTests.processes(mentioning: directory).isEmpty, "no process of the demo's directory remains")
        #expect(try DemoAndBenchTests.processes(mentioning: "\(scratch.ip(1)):\(scratch.port)").isEmpty)
        #expect(try DemoAndBenchTests.processes(mentioning: "127.0.78.").isEmpty)
    }

    @Test("mesh demo interrupted (SIGINT) mid-story exits 130, leaving no process and no directory")
    func interrupted() throws {
        let scratch = try TestCluster(subnet: 78)
        defer { scratch.shutdown() }
        let demo = try scratch.launch("demo", index: 1, arguments: ["demo", "--first-ip", scratch.ip(1), "--port", String(scratch.port)])
        _ = scratch.waitUntil("the demo's first task is accepted", timeout: 30) { scratch.log("demo").contains("accepted as task") }
        let line = scratch.log("demo").split(separator: "\n").first { $0.contains("data and logs in ") }
        let directory = try #require(line?.split(separator: " ").last.map(String.init), "\(scratch.log("demo"))")
        #expect(FileManager.default.fileExists(atPath: directory))
        #expect(try !DemoAndBenchTests.processes(mentioning: directory).isEmpty, "the nodes run with data in \(directory)")
        kill(demo.pid, SIGINT)
        #expect(demo.waitForExit(timeout: 20) == 130, "\(scratch.log("demo"))")
        #expect(!FileManager.default.fileExists(atPath: directory), "\(directory) removed")
        _ = scratch.waitUntil("no process mentions \(directory)", timeout: 5) {
            ((try? DemoAndBenchTests.processes(mentioning: directory)) ?? ["unreadable"]).isEmpty
        }
        #expect(try DemoAndBenchTests.processes(mentioning: "127.0.78.").isEmpty)
    }

    /// Three succeeded tasks with hashed artifacts; the killed node's task succeeded elsewhere, later.
    static func checkStory(_ summary: JSONValue, narration: String) throws {
        #expect(summary["ok"]?.bool == true, "\(narration)")
        let tasks = try #require(summary["tasks"]?.array)
        #expect(tasks.map { $0["profile"]?.string ?? "" } == ["research", "review", "final"])
        for task in tasks {
            #expect(task["state"]?.string == "succeeded", "\(task.serialized())")
            let artifacts = task["artifacts"]?.array ?? []
            #expect(!artifacts.isEmpty, "\(task.serialized())")
            for artifact in artifacts {
                let hash = artifact["sha256"]?.string ?? ""
                #expect(hash.count == 64 && hash.allSatisfy(\.isHexDigit) && artifact["verified"]?.bool == true, "\(artifact.serialized())")
                #expect((artifact["size"]?.unsigned ?? 0) > 0)
            }
            let log = task["log"]?.array ?? []
            #expect(!log.isEmpty, "a bit of the log: \(task.serialized())")
        }
        let killed = try #require(summary["killed"])
        let node = try #require(killed["node"]?.string)
        let task = try #require(tasks.first { $0["id"]?.string == killed["task"]?.string }, "the killed node's task is in the relay")
        let history = task["history"]?.array ?? []
        #expect(history.contains { $0["state"]?.string == "running" && $0["node"]?.string == node }, "it ran on \(node) first")
        #expect((task["attempts"]?.integer ?? 0) >= 2)
        #expect(task["node"]?.string != nil && task["node"]?.string != node, "it succeeded on another node: \(task.serialized())")
    }

    @Test("every config in configs/ passes mesh check-config, and the agent profiles name their API key variables")
    func configs() throws {
        let scratch = try TestCluster(subnet: 78)
        defer { scratch.shutdown() }
        let directory = Self.checkout.appendingPathComponent("configs").path
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }.sorted()
        #expect(files.contains("agents.example.json"), "\(files)")
        for file in files {
            let (status, output) = scratch.runCapturing(["check-config", "\(directory)/\(file)", "--json"])
            #expect(status == 0, "\(file): \(output)")
        }
        let agents = scratch.runCapturing(["check-config", "\(directory)/agents.example.json", "--json"])
        let profiles = try JSONValue.parse(agents.output)["profiles"]?.array ?? []
        #expect(Set(profiles.compactMap { $0["name"]?.string }) == ["claude", "codex", "gemini", "aider"], "\(agents.output)")
    }

    @Test("mesh demo --help names --json and --keep; a bad flag is refused with exit 2")
    func help() throws {
        let scratch = try TestCluster(subnet: 78)
        defer { scratch.shutdown() }
        let help = scratch.runCapturing(["demo", "--help"])
        #expect(help.status == 0 && help.output.contains("--json") && help.output.contains("--keep"), "\(help.output)")
        let bad = scratch.runCapturing(["demo", "--first-ip", "10.0.0.1"])
        #expect(bad.status == 2 && bad.output.contains("--first-ip"), "\(bad.output)")
    }
}
