import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import Testing

/// Cancel, timeouts and stalls against real nodes on 127.0.76.x (issue 10 §5): cancel ends a
/// running agent and every descendant — one `setsid()`-ed, one orphaned, both ignoring SIGTERM —
/// within 1 s, with a cgroup and without one.
@Suite("Real nodes on 127.0.76.x: execution and control, one test at a time", .serialized, .timeLimit(.minutes(5)))
struct ExecutionControlTests {}

extension ExecutionControlTests {
@Suite("Real nodes: cancel, timeouts, stalls", .timeLimit(.minutes(5)))
struct TaskControlTests {
    /// What issue 10 §5 promises for a cancel with the default grace (0.5 s), in milliseconds.
    static let cancelBoundMs: Int64 = 1_000

    /// `tree` starts an escaped family and waits; `sleepy` sleeps; `quiet` prints once, then
    /// stalls (watchdog 1 s).
    static func config(cgroups: Bool) -> String {
        let tree = """
        trap '' TERM; cat > /dev/null; \
        setsid sh -c 'trap "" TERM; echo $$ > escaped.pid; exec sleep 300' & \
        (sh -c 'trap "" TERM; echo $$ > orphan.pid; exec sleep 300' &) ; \
        sh -c 'trap "" TERM; echo $$ > stubborn.pid; exec sleep 300' & \
        echo $$ > leader.pid; echo started; wait
        """
        return """
        {"workspaces": {"cgroups": \(cgroups)}, "profiles": [
          {"name": "tree", "command": ["/bin/sh", "-c", \(JSONValue.string(tree).serialized())], "slots": 2},
          {"name": "sleepy", "command": ["/bin/sh", "-c", "echo $$ > sleepy.pid; echo going to sleep; exec sleep 300"], "slots": 2},
          {"name": "quiet", "command": ["/bin/sh", "-c", "echo one line; exec sleep 300"], "slots": 2, "stallAfter": "1s"}
        ]}
        """
    }

    @Test("cancel through another node: the agent and all its descendants (setsid-ed, orphaned, ignoring SIGTERM) are gone within 1 s",
          arguments: [true, false])
    func cancelKillsEveryDescendant(cgroups: Bool) async throws {
        let cluster = try TestCluster(subnet: 76)
        defer { cluster.shutdown() }
        try await cluster.startControlNodes(3, config: Self.config(cgroups: cgroups))
        let id = try cluster.submitted(TaskSpec(profile: "tree", prompt: "grow"), through: 1)
        await cluster.eventually("the task runs", timeout: 20) { cluster.task(id, from: 1)?.taskState == "running" }
        let owner = try #require(cluster.ownerIndex(of: id))
        let workspace = cluster.workspace(id, on: owner)
        var pids: [String: pid_t] = [:]
        for name in ["leader", "escaped", "orphan", "stubborn"] {
            pids[name] = try #require(pidFile(workspace + "/\(name).pid"), "\(name) never started\n\(cluster.logTails())")
        }
        #expect(pids.values.allSatisfy(AgentExecutionTests.isAlive))
        // With cgroups (where the machine has cgroup v2), the escaped process is in the attempt's cgroup.
        let mount = AgentCgroup.cgroup2Mount()
        let cgroupLine = (try? String(contentsOfFile: "/proc/\(pids["escaped"]!)/cgroup", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) }
        if mount != nil { #expect(cgroupLine?.contains("/mesh-agent-") == cgroups, "\(String(describing: cgroupLine))") }
        let entry = owner == 3 ? 2 : 3
        // Timed through the entry's HTTP API from this process (a CLI's own start is not the mesh's
        // time): from asking to `cancelled` synced on both copies and every process gone.
        let asked = SystemClock.monotonicNanoseconds()
        let answer = try cluster.client(entry).cancelTask(id)
        let answeredMs = (SystemClock.monotonicNanoseconds() - asked) / 1_000_000
        #expect(answer.status == 200 && answer.json.taskState == "cancelled", "\(answer)")
        let gone = poll(within: 1) { pids.values.allSatisfy { !AgentExecutionTests.isAlive($0) } }
        let goneMs = (SystemClock.monotonicNanoseconds() - asked) / 1_000_000
        #expect(gone, "alive 1 s after the answer: \(pids.filter { AgentExecutionTests.isAlive($0.value) })")
        print("cancel (cgroups \(cgroups)): answered \(answeredMs) ms after asking, every process gone \(goneMs) ms "
              + "after asking (all ignore SIGTERM: SIGKILL after the 0.5 s grace)")
        // The promise (issue 10 §5): cancelled within 1 s with the default grace, even when every
        // process ignores SIGTERM (0.5 s of it is the grace).
        #expect(answeredMs < Self.cancelBoundMs, "cancel answered \(answeredMs) ms after asking: over the \(Self.cancelBoundMs) ms promise")
        #expect(goneMs < Self.cancelBoundMs, "every process gone only \(goneMs) ms after asking: over the \(Self.cancelBoundMs) ms promise")
        for index in 1...3 {
            let record = cluster.task(id, from: index)
            #expect(record?.taskState == "cancelled" && record?.history.last?["reason"]?.string == "cancelled by an operator")
        }
        let again = cluster.runCapturing(["cancel", id.description, "--http", cluster.httpAddress(1)])
        #expect(again.status == 1 && again.output.contains("already finished (cancelled)"), "\(again.output)")
        let (code, body) = try cluster.client(2).exchange("POST", "/v1/tasks/\(id)/cancel", body: Array("{}".utf8))
        #expect(code == 409, "\(String(decoding: body, as: UTF8.self))")
        let unknown = try cluster.client(1).cancelTask(TaskID.idempotent(key: "never submitted"))
        #expect(unknown.status == 404 && unknown.errorCode == "not_found", "\(unknown)")
        if let mount, let cgroupLine, cgroups {
            #expect(!FileManager.default.fileExists(atPath: mount + cgroupLine), "the attempt's cgroup is removed")
        }
    }

    @Test("a queued task is cancelled at once; a task past its timeout ends timed_out with its processes gone")
    func queuedCancelAndTimeout() async throws {
        let cluster = try TestCluster(subnet: 76)
        defer { cluster.shutdown() }
        try await cluster.startControlNodes(2, config: Self.config(cgroups: true))
        var spec = TaskSpec(profile: "sleepy", prompt: "zzz", timeout: .seconds(1), attemptsMax: 3)
        let id = try cluster.submitted(spec, through: 2)
        let record = await cluster.finished(id)
        #expect(record?.taskState == "timed_out", "\(String(describing: record))")
        #expect(record?.events("running").count == 1, "a timeout is terminal: no retry")
        let workspace = cluster.workspace(id, on: try #require(cluster.ownerIndex(of: id)))
        #expect(try String(contentsOfFile: workspace + "/logs/output-1.log", encoding: .utf8) == "going to sleep\n")
        let sleeper = try #require(pidFile(workspace + "/sleepy.pid"))
        #expect(!AgentExecutionTests.isAlive(sleeper), "the timed-out agent \(sleeper) still runs")
        spec.timeout = .seconds(600)
        // Five long tasks on two nodes of two slots each: one at least queues.
        var ids: [TaskID] = []
        for key in 0..<5 {
            spec.idempotencyKey = "fill-\(key)"
            ids.append(try cluster.submitted(spec, through: 1))
        }
        await cluster.eventually("every slot runs and a task waits", timeout: 20) {
            let states = ids.compactMap { cluster.task($0, from: 1)?.taskState }
            return states.count == 5 && states.allSatisfy { $0 == "running" || $0 == "queued" } && states.contains("queued")
        }
        let queued = try #require(ids.first { cluster.task($0, from: 1)?.taskState == "queued" })
        let answer = try cluster.client(1).cancelTask(queued)
        #expect(answer.status == 200 && answer.json.taskState == "cancelled" && answer.json.events("running").isEmpty, "\(answer)")
        for other in ids where other != queued { _ = try cluster.client(2).cancelTask(other) }
    }

    @Test("an agent silent past its profile's stallAfter is killed and retried with the reason stalled")
    func stallRetries() async throws {
        let cluster = try TestCluster(subnet: 76)
        defer { cluster.shutdown() }
        try await cluster.startControlNodes(1, config: Self.config(cgroups: true))
        let id = try cluster.submitted(TaskSpec(profile: "quiet", prompt: "x", attemptsMax: 2), through: 1)
        let record = await cluster.finished(id)
        #expect(record?.taskState == "failed", "\(String(describing: record))")
        let retry = record?.events("retrying").first?["reason"]?.string ?? ""
        #expect(retry == "attempt 1 failed: stalled: no output for 1s", "\(String(describing: record))")
        #expect(record?.history.last?["reason"]?.string == "stalled: no output for 1s")
        #expect(record?.events("running").count == 2)
    }
}
}
