import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import Testing

/// Cancel timing against real nodes on 127.0.84.x (issue 10 §5): an agent that exits on SIGTERM
/// is cancelled long before its grace ends (nothing waits for a grace once the attempt is gone),
/// and a grace longer than a control request's limit still ends in `mesh cancel` saying
/// `cancelled` (exit 0) instead of a 503.
@Suite("Real nodes on 127.0.84.x: cancel timing", .serialized, .timeLimit(.minutes(5)))
struct TaskCancelTimingTests {
    /// `polite` exits on SIGTERM (so does its `setsid()`-ed child) and has a 5-s grace; `stubborn`
    /// ignores SIGTERM and has a 9-s grace (past the entry's 8-s answer limit).
    static let config = """
    {"profiles": [
      {"name": "polite", "cancelGrace": "5s", "slots": 1, "command": ["/bin/sh", "-c",
        "trap 'exit 0' TERM; setsid sh -c 'trap \\"exit 0\\" TERM; echo $$ > child.pid; sleep 300 & wait' & echo $$ > leader.pid; sleep 300 & wait"]},
      {"name": "stubborn", "cancelGrace": "9s", "slots": 1, "command": ["/bin/sh", "-c",
        "trap '' TERM; echo $$ > leader.pid; sleep 300 & wait; sleep 300 & wait; sleep 300"]}
    ]}
    """

    /// Starts a task of `profile` through node 1 and waits until its leader (and child) run.
    static func running(_ profile: String, in cluster: TestCluster, pidFiles: [String]) async throws -> (TaskID, owner: Int, [pid_t]) {
        let id = try cluster.submitted(TaskSpec(profile: profile, prompt: "wait"), through: 1)
        await cluster.eventually("the task runs", timeout: 20) { cluster.task(id, from: 1)?.taskState == "running" }
        let owner = try #require(cluster.ownerIndex(of: id))
        var pids: [pid_t] = []
        for name in pidFiles {
            pids.append(try #require(pidFile(cluster.workspace(id, on: owner) + "/\(name).pid"), "\(name) never started\n\(cluster.logTails())"))
        }
        return (id, owner, pids)
    }

    @Test("an agent that exits on SIGTERM is cancelled within 1 s although its grace is 5 s")
    func politeAgentEndsBeforeItsGrace() async throws {
        let cluster = try TestCluster(subnet: 84)
        defer { cluster.shutdown() }
        try await cluster.startControlNodes(3, config: Self.config)
        let (id, owner, pids) = try await Self.running("polite", in: cluster, pidFiles: ["leader", "child"])
        let entry = owner == 3 ? 2 : 3
        let asked = SystemClock.monotonicNanoseconds()
        let answer = try cluster.client(entry).cancelTask(id)
        let answeredMs = (SystemClock.monotonicNanoseconds() - asked) / 1_000_000
        print("cancel of an agent that exits on SIGTERM (grace 5 s): answered \(answeredMs) ms after asking")
        #expect(answer.status == 200 && answer.json.taskState == "cancelled", "\(answer)")
        #expect(answeredMs < 1_000, "answered \(answeredMs) ms after asking: the 5-s grace was waited for")
        #expect(pids.allSatisfy { !AgentExecutionTests.isAlive($0) }, "alive after the answer: \(pids.filter(AgentExecutionTests.isAlive))")
        let log = try String(contentsOfFile: cluster.workspace(id, on: owner) + "/logs/output-1.log", encoding: .utf8)
        #expect(log.isEmpty, "the agent printed nothing: \(log)")
    }

    @Test("a grace longer than a request's limit: mesh cancel waits for cancelled and exits 0")
    func longGraceCancelCompletes() async throws {
        let cluster = try TestCluster(subnet: 84)
        defer { cluster.shutdown() }
        try await cluster.startControlNodes(2, config: Self.config)
        let (id, owner, pids) = try await Self.running("stubborn", in: cluster, pidFiles: ["leader"])
        let entry = owner == 1 ? 2 : 1
        let asked = SystemClock.monotonicNanoseconds()
        let (status, output) = cluster.runCapturing(["cancel", id.description, "--json", "--http", cluster.httpAddress(entry)], timeout: 30)
        let seconds = Double((SystemClock.monotonicNanoseconds() - asked) / 1_000_000) / 1_000
        print("cancel with a 9-s grace (agent ignores SIGTERM): mesh cancel exited \(String(describing: status)) after \(seconds) s")
        #expect(status == 0, "\(output)")
        let record = try? JSONValue.parse(output)
        #expect(record?.taskState == "cancelled", "\(output)")
        #expect(seconds >= 9 && seconds < 20, "\(seconds) s")
        #expect(pids.allSatisfy { !AgentExecutionTests.isAlive($0) })
        for index in 1...2 { #expect(cluster.task(id, from: index)?.taskState == "cancelled") }
    }
}
