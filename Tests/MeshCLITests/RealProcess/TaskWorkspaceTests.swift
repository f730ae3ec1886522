import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import Testing

/// Workspaces, environment, declared outputs and artifacts against real nodes on 127.0.76.x
/// (issue 10 §1, §3, §5).
extension ExecutionControlTests {
@Suite("Real nodes: workspaces, environment, declared outputs", .timeLimit(.minutes(5)))
struct TaskWorkspaceTests {
    static let config = """
    {"workspaces": {"outputBytesMax": 1000}, "profiles": [
      {"name": "env", "command": ["/usr/bin/env"], "slots": 2, "env": ["AGENT_KEY_ALLOWED", "AGENT_UNSET"]},
      {"name": "writer", "command": ["/bin/sh", "-c", "cat > /dev/null; cd \\"$MESH_ARTIFACTS\\" && printf report > report.md && ln -sf /etc/passwd link && mkdir -p sub && if [ \\"$MESH_ATTEMPT\\" = 2 ]; then printf done > summary.txt; fi"],
       "slots": 2, "expect": ["summary.txt"]},
      {"name": "loud", "command": ["/bin/sh", "-c", "head -c 600 /dev/zero | tr '\\\\0' o; head -c 600 /dev/zero | tr '\\\\0' e >&2"], "slots": 2},
      {"name": "early", "command": ["/bin/true"], "slots": 2}
    ]}
    """

    @Test("the agent's environment is exactly the mesh's variables, PATH, HOME and the profile's names; a node secret it does not name is absent")
    func exactEnvironment() async throws {
        let cluster = try TestCluster(subnet: 76)
        defer { cluster.shutdown() }
        try await cluster.startControlNodes(1, config: Self.config,
                                            environment: ["AGENT_KEY_ALLOWED": "yes-42", "AGENT_SECRET_NOT_NAMED": "hunter2"])
        var spec = TaskSpec(profile: "env", prompt: "AGENT_SECRET_NOT_NAMED=from-the-submitter")
        spec.idempotencyKey = "env"
        let id = try cluster.submitted(spec, through: 1)
        #expect(await cluster.finished(id)?.taskState == "succeeded")
        let workspace = cluster.workspace(id, on: 1)
        let lines = try String(contentsOfFile: workspace + "/logs/output-1.log", encoding: .utf8).split(separator: "\n")
        var variables: [String: String] = [:]
        for line in lines {
            let parts = line.split(separator: "=", maxSplits: 1)
            variables[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        #expect(Set(variables.keys) == ["MESH_TASK_ID", "MESH_ATTEMPT", "MESH_INBOX", "MESH_ARTIFACTS", "PATH", "HOME",
                                        "MESH_AGENT_RUN", "AGENT_KEY_ALLOWED"], "\(variables)")
        #expect(variables["AGENT_KEY_ALLOWED"] == "yes-42" && variables["MESH_TASK_ID"] == id.description)
        #expect(variables["MESH_ATTEMPT"] == "1" && variables["MESH_INBOX"] == workspace + "/inbox")
        #expect(variables["MESH_ARTIFACTS"] == workspace + "/artifacts" && variables["PATH"] == AgentEnvironment.basePath)
        #expect(!lines.contains { $0.contains("hunter2") })
    }

    @Test("an exit 0 without a declared output fails naming it; artifacts are hashed (no symlink followed) and recorded on every copy")
    func declaredOutputs() async throws {
        let cluster = try TestCluster(subnet: 76)
        defer { cluster.shutdown() }
        try await cluster.startControlNodes(2, config: Self.config)
        // One attempt: report.md is there, the profile's summary.txt is not.
        var spec = TaskSpec(profile: "writer", prompt: "write", attemptsMax: 1)
        spec.expect = ["report.md"]
        spec.idempotencyKey = "one"
        let failed = try cluster.submitted(spec, through: 1)
        let record = await cluster.finished(failed)
        #expect(record?.taskState == "failed" && record?.history.last?["reason"]?.string == "missing declared outputs: summary.txt",
                "\(String(describing: record))")
        // Two attempts: the second writes summary.txt too and succeeds.
        let (status, output) = cluster.runCapturing(["submit", "--profile", "writer", "--prompt", "write", "--expect", "report.md",
                                                     "--attempts", "2", "--wait", "--http", cluster.httpAddress(2)], timeout: 30)
        #expect(status == 0, "\(output)")
        let done = try JSONValue.parse(output)
        let id = try #require(done["id"]?.string.flatMap(TaskID.init))
        let last = try #require(done.history.last)
        #expect(last["state"]?.string == "succeeded")
        let artifacts = last["artifacts"]?.array ?? []
        #expect(artifacts.compactMap { $0["name"]?.string } == ["report.md", "summary.txt"], "declared first; no link, no directory: \(artifacts)")
        let owner = try #require(cluster.ownerIndex(of: id))
        for file in artifacts {
            let name = try #require(file["name"]?.string)
            let bytes = try Files.read(cluster.workspace(id, on: owner) + "/artifacts/" + name, bytesMax: 1 << 20)
            #expect(file["sha256"]?.string == MeshKey.hex(SHA256.hash(bytes)) && file["size"]?.integer == Int64(bytes.count))
        }
        for index in 1...2 { #expect(cluster.task(id, from: index)?.history.last?["artifacts"]?.array?.count == 2) }
        let table = try #require(cluster.runInLauncher(["task", id.description, "--http", cluster.httpAddress(1)]))
        let hash = try #require(artifacts.first?["sha256"]?.string)
        #expect(table.contains("artifacts of attempt 2") && table.contains("  report.md  6 B  sha256 \(hash)"), "\(table)")
    }

    @Test("stdout and stderr share one log, capped per task with the dropped bytes noted; an agent that never reads its stdin harms nothing")
    func logCapAndUnreadStdin() async throws {
        let cluster = try TestCluster(subnet: 76)
        defer { cluster.shutdown() }
        try await cluster.startControlNodes(1, config: Self.config)
        let loud = try cluster.submitted(TaskSpec(profile: "loud", prompt: "x"), through: 1)
        #expect(await cluster.finished(loud)?.taskState == "succeeded")
        let log = try String(contentsOfFile: cluster.workspace(loud, on: 1) + "/logs/output-1.log", encoding: .utf8)
        #expect(log == String(repeating: "o", count: 600) + String(repeating: "e", count: 400)
                + "\n[mesh: output past the task's log limit dropped: 200 bytes]\n", "\(log)")
        // A 1 MiB prompt the agent never reads: no pipe is written after it exits, the node lives on.
        let prompt = String(repeating: "p", count: TaskLimits.promptBytesMax)
        let early = try cluster.submitted(TaskSpec(profile: "early", prompt: prompt), through: 1)
        #expect(await cluster.finished(early)?.taskState == "succeeded")
        let node = try #require(cluster.process("t1"))
        #expect(node.isRunning)
        let status = try String(contentsOfFile: "/proc/\(node.pid)/status", encoding: .utf8)
        let ignored = status.split(separator: "\n").first { $0.hasPrefix("SigIgn:") }.flatMap { UInt64($0.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16) }
        #expect((ignored ?? 0) & (1 << (UInt64(SIGPIPE) - 1)) != 0, "the node ignores SIGPIPE")
    }
}
}

extension ExecutionControlTests.TaskWorkspaceTests {
    @Test("mesh check-config reports bad env names, declared outputs, durations, workspace and task keys where they are")
    func checkConfigExecutionKeys() throws {
        let cluster = try TestCluster(subnet: 76)
        defer { cluster.shutdown() }
        let bad = "\(cluster.directory)/bad.json"
        try """
        {"profiles": [{"name": "a", "command": ["x"], "slots": 1, "env": ["1X", "MESH_TASK_ID"], "expect": ["../up"],
                       "cancelGrace": "2 minutes", "stallAfter": "0s"}],
         "workspaces": {"retention": "soon", "colour": 1, "outputBytesMax": -1},
         "tasks": {"finishedRetention": "1h", "floor": 64, "logCompactionFloor": 8}}
        """.write(toFile: bad, atomically: true, encoding: .utf8)
        let (status, output) = cluster.runCapturing(["check-config", bad])
        #expect(status == 1)
        for expected in ["profiles[0].env: '1X' is not a variable name", "profiles[0].env: 'MESH_TASK_ID' is set by the mesh itself",
                         "profiles[0].expect", "profiles[0].cancelGrace", "profiles[0].stallAfter", "workspaces.retention",
                         "workspaces.colour: unknown key", "workspaces.outputBytesMax", "tasks.finishedRetention",
                         "tasks.floor: unknown key", "tasks.logCompactionFloor"] {
            #expect(output.contains(expected), "\(expected) in \(output)")
        }
        #expect(!output.contains("unknown key 'tasks'"), "\(output)")
    }
}
