import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import Testing

/// An agent never outlives its node: SIGKILL of the node process ends the agent's group within
/// 1 s (the supervisor's parent-death signal), and groups a crash left behind are killed at restart.
@Suite("Agent execution: crashes", .serialized, .timeLimit(.minutes(5)))
struct AgentCrashTests {
    /// A supervisor plan for task `task` in `data`, its agent starting a grandchild.
    static func plan(_ data: String, parent: pid_t) throws -> AgentSupervisor.Plan {
        let workspace = data + "/tasks/" + AgentExecutionTests.taskA
        for part in ["inbox", "artifacts", "logs"] { try Files.makeDirectory(workspace + "/" + part) }
        try Files.writeAtomically(workspace + "/inbox/prompt.md", [])
        return AgentSupervisor.Plan(parent: parent, pgidFile: workspace + "/logs/attempt-1.pgid", workspace: workspace,
                                    stdinFile: workspace + "/inbox/prompt.md", outputFile: workspace + "/logs/output-1.log",
                                    outputBytesMax: 1 << 20, grace: .milliseconds(500), stallAfter: 0, usesCgroup: true,
                                    stallFile: workspace + "/logs/attempt-1.stalled",
                                    argv: ["/bin/sh", "-c", "sleep 100 & sleep 100 & wait"])
    }

    /// The pgid the supervisor recorded, once it has.
    static func recordedGroup(_ plan: AgentSupervisor.Plan) -> pid_t? {
        var pgid: pid_t?
        _ = poll(within: 10) {
            pgid = (try? String(contentsOfFile: plan.pgidFile, encoding: .utf8))?.split(separator: " ").first.flatMap { pid_t($0) }
            return pgid != nil && AgentExecutionTests.liveMembers(pgid!).count == 3
        }
        return pgid
    }

    @Test("SIGKILL of the node process: its agent and the agent's children are gone within 1 s")
    func nodeKilled() throws {
        let data = try AgentExecutionTests.directory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let plan = try Self.plan(data, parent: 0)
        // A stand-in node: a shell that starts the supervisor as its child, then waits.
        let arguments = Array(plan.arguments.dropFirst(2))   // all but --parent, which the shell fills in
        var environment = ChildProcess.environment()
        environment[AgentRunner.markerVariable] = "test/1"
        let node = try ChildProcess.spawn("/bin/sh", ["-c", "\"$0\" \(AgentSupervisor.subcommand) --parent $$ \"$@\" & wait",
                                                      MeshBinary.path] + arguments, environment: environment)
        defer { node.kill() }
        let pgid = try #require(Self.recordedGroup(plan), "the agent never started")
        #expect(kill(node.pid, SIGKILL) == 0)
        let killedAt = Date()
        #expect(poll(within: 1) { AgentExecutionTests.liveMembers(pgid).isEmpty },
                "agent group \(pgid) still has \(AgentExecutionTests.liveMembers(pgid)) after the node's SIGKILL")
        print("agent group gone \(Int(Date().timeIntervalSince(killedAt) * 1000)) ms after the node's SIGKILL")
    }

    @Test("a restart kills the groups a crashed life left running, and only those")
    func leftoversKilledAtRestart() throws {
        let data = try AgentExecutionTests.directory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let plan = try Self.plan(data, parent: getpid())
        var environment = ChildProcess.environment()
        environment[AgentRunner.markerVariable] = "test/2"
        let supervisor = try ChildProcess.spawn(MeshBinary.path, [AgentSupervisor.subcommand] + plan.arguments, environment: environment)
        let pgid = try #require(Self.recordedGroup(plan), "the agent never started")
        // The supervisor dies without acting (as if killed with its node): the group is orphaned.
        supervisor.kill()
        #expect(AgentExecutionTests.liveMembers(pgid).count == 3)
        // A stranger whose group id a stale file names, without the marker: never killed.
        let stranger = try ChildProcess.spawn("/bin/sleep", ["100"])
        defer { stranger.kill() }
        let other = data + "/tasks/" + AgentExecutionTests.taskB + "/logs"
        try Files.makeDirectory(other)
        try Files.writeAtomically(other + "/attempt-1.pgid", Array("\(stranger.pid) test/9\n".utf8))

        #expect(AgentRunner.killLeftovers(dataPath: data) == 1)
        #expect(poll(within: 1) { AgentExecutionTests.liveMembers(pgid).isEmpty })
        #expect(stranger.isRunning, "a group without this node's marker is left alone")
        #expect(!Files.exists(plan.pgidFile) && !Files.exists(other + "/attempt-1.pgid"))
    }

    @Test("mesh start on a data directory a crashed life left agents in kills them before it runs")
    func nodeStartKillsLeftovers() throws {
        let cluster = try TestCluster(subnet: 67)
        defer { cluster.shutdown() }
        let data = cluster.dataDirectory("n")
        let plan = try Self.plan(data, parent: getpid())
        var environment = ChildProcess.environment()
        environment[AgentRunner.markerVariable] = "test/3"
        let supervisor = try ChildProcess.spawn(MeshBinary.path, [AgentSupervisor.subcommand] + plan.arguments, environment: environment)
        let pgid = try #require(Self.recordedGroup(plan), "the agent never started")
        supervisor.kill()
        #expect(AgentExecutionTests.liveMembers(pgid).count == 3)
        try cluster.start("n", index: 1)
        cluster.waitUntil("the node answers", timeout: 10) { cluster.status("n") != nil }
        #expect(AgentExecutionTests.liveMembers(pgid).isEmpty, "the node started while its old agents ran")
        #expect(cluster.log("n").contains("killed agent process groups a previous life left running"))
    }
}
