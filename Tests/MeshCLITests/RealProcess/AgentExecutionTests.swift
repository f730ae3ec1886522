import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import Testing

/// Agents run by a node's `AgentRunner` under `mesh __supervise` (issue 9 §5): exit codes,
/// the workspace, process groups killed on stop, on the node's death (even SIGKILL) and at restart.
@Suite("Agent execution: process groups that never outlive their node", .serialized, .timeLimit(.minutes(5)))
struct AgentExecutionTests {
    /// What the runner delivered, polled with a deadline.
    final class Inbox: @unchecked Sendable {
        private let lock = NSLock()
        private var inputs: [Input] = []
        func add(_ input: Input) { lock.withLock { inputs.append(input) } }
        func exit(of run: RunID, within seconds: Double = 10) -> AgentExit? {
            var found: AgentExit?
            _ = poll(within: seconds) {
                found = lock.withLock {
                    inputs.lazy.compactMap { if case .agentExited(run, let exit, _) = $0 { exit } else { nil } }.first
                }
                return found != nil
            }
            return found
        }
    }

    static let taskA = TaskID.idempotent(key: "a").description
    static let taskB = TaskID.idempotent(key: "b").description

    static func directory() throws -> String {
        let path = NSTemporaryDirectory() + "mesh-agents-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func runner(_ data: String, _ profiles: [String: [String]]) -> (AgentRunner, Inbox) {
        let inbox = Inbox()
        let runner = AgentRunner(dataPath: data, profiles: profiles, supervisor: [MeshBinary.path, AgentSupervisor.subcommand]) {
            inbox.add($0)
        }
        return (runner, inbox)
    }

    @Test("exit 0, a nonzero exit and a signal are reported as such; the prompt is on stdin and in inbox/prompt.md; output lands in logs/")
    func exitStatuses() throws {
        let data = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let (runner, inbox) = Self.runner(data, [
            "ok": ["/bin/sh", "-c", "cat > stdin.txt; cmp -s stdin.txt inbox/prompt.md && echo out && echo err >&2"],
            "bad": ["/bin/sh", "-c", "exit 3"], "killed": ["/bin/sh", "-c", "kill -9 $$"],
        ])
        runner.start(AgentRun(run: RunID(1), profile: "ok", task: Self.taskA, attempt: 1, prompt: "hello\nprompt"))
        runner.start(AgentRun(run: RunID(2), profile: "bad", task: Self.taskB, attempt: 2))
        runner.start(AgentRun(run: RunID(3), profile: "killed", task: Self.taskB, attempt: 3))
        runner.start(AgentRun(run: RunID(4), profile: "nope", task: Self.taskB, attempt: 4))
        runner.start(AgentRun(run: RunID(5), profile: "ok", task: "../../etc", attempt: 1))
        #expect(inbox.exit(of: RunID(1)) == .exited(0))
        #expect(inbox.exit(of: RunID(2)) == .exited(3))
        #expect(inbox.exit(of: RunID(3)) == .signalled(SIGKILL))
        #expect(inbox.exit(of: RunID(4)) == .refused("unknown profile 'nope'"))
        #expect(inbox.exit(of: RunID(5)) == .refused("bad task id"))
        let workspace = runner.workspace(Self.taskA)
        #expect(try String(contentsOfFile: workspace + "/inbox/prompt.md", encoding: .utf8) == "hello\nprompt")
        #expect(try String(contentsOfFile: workspace + "/stdin.txt", encoding: .utf8) == "hello\nprompt")
        #expect(try String(contentsOfFile: workspace + "/logs/output-1.log", encoding: .utf8) == "out\nerr\n")
        #expect(Files.exists(workspace + "/artifacts") && !Files.exists(workspace + "/logs/attempt-1.pgid"))
        #expect(runner.runningCount == 0)
    }

    @Test("stopAgent(.kill) ends the whole group, a grandchild that ignores SIGTERM included")
    func stopKillsTheGroup() throws {
        let data = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let stubborn = "trap '' TERM; sh -c 'echo $$ > grandchild.pid; exec sleep 100' & wait"
        let (runner, inbox) = Self.runner(data, ["stubborn": ["/bin/sh", "-c", stubborn]])
        runner.start(AgentRun(run: RunID(1), profile: "stubborn", task: Self.taskA, attempt: 1))
        let grandchild = try #require(Self.readPid(runner.workspace(Self.taskA) + "/grandchild.pid"))
        runner.stop(RunID(1), .terminate)   // ignored by both
        runner.stop(RunID(1), .kill)
        #expect(inbox.exit(of: RunID(1)) == .signalled(SIGKILL))
        #expect(poll(within: 1) { !Self.isAlive(grandchild) }, "grandchild \(grandchild) outlived stopAgent")
    }

    @Test("when the leader dies of SIGTERM, the rest of its group (ignoring SIGTERM) is killed too")
    func leaderExitKillsTheRest() throws {
        let data = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let script = "sh -c 'trap \"\" TERM; echo $$ > grandchild.pid; exec sleep 100' & wait"
        let (runner, inbox) = Self.runner(data, ["agent": ["/bin/sh", "-c", script]])
        runner.start(AgentRun(run: RunID(7), profile: "agent", task: Self.taskA, attempt: 1))
        let grandchild = try #require(Self.readPid(runner.workspace(Self.taskA) + "/grandchild.pid"))
        runner.stop(RunID(7), .terminate)
        #expect(inbox.exit(of: RunID(7)) == .signalled(SIGTERM))
        #expect(poll(within: 1) { !Self.isAlive(grandchild) }, "grandchild \(grandchild) outlived its leader")
    }

    /// The pid written to `path`, once the file holds one.
    static func readPid(_ path: String) -> pid_t? {
        var pid: pid_t?
        _ = poll(within: 10) {
            pid = (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            return pid != nil
        }
        return pid
    }

    /// True while `pid` exists and is not a zombie (a zombie runs nothing; in a container nobody
    /// may reap an orphan's zombie).
    static func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(close, offsetBy: 2)] != "Z"
    }

    /// Live (non-zombie) processes of group `pgid`.
    static func liveMembers(_ pgid: pid_t) -> [pid_t] { AgentRunner.processes(inGroup: pgid).filter(isAlive) }
}

/// Checks `condition` every 10 ms until it holds (true) or `seconds` pass (false).
func poll(within seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
        if condition() { return true }
        if Date() >= deadline { return false }
        usleep(10_000)
    }
}
