import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import Testing

/// Issue 9's acceptance on real processes (127.0.70.x): tasks survive SIGKILLed owners and
/// executors, finish exactly once, and nothing a node acknowledged is lost across its crashes.
@Suite("Real nodes: tasks across crashes", .serialized, .timeLimit(.minutes(4)))
struct TaskAcceptanceTests {
    /// Submits `specs` through the nodes `through` (round robin), four at a time; the accepted ids in order.
    static func submitAll(_ cluster: TestCluster, _ specs: [TaskSpec], through nodes: [Int]) -> [TaskID] {
        let accepted = Collected<(Int, TaskID)>()
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for index in stride(from: worker, to: specs.count, by: 4) {
                if let id = cluster.submit(specs[index], through: nodes[index % nodes.count]) { accepted.append((index, id)) }
            }
        }
        return accepted.all.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// The agent groups node `name` runs now, by task id (from the pgid files of running attempts).
    static func runningGroups(_ cluster: TestCluster, _ name: String) -> [(task: String, pgid: pid_t)] {
        let tasks = cluster.dataDirectory(name) + "/tasks"
        var groups: [(String, pid_t)] = []
        for task in (try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? [] {
            let logs = tasks + "/" + task + "/logs"
            for file in (try? FileManager.default.contentsOfDirectory(atPath: logs)) ?? [] where file.hasSuffix(".pgid") {
                let text = (try? String(contentsOfFile: logs + "/" + file, encoding: .utf8)) ?? ""
                if let pgid = text.split(separator: " ").first.flatMap({ pid_t($0) }), pgid > 1 { groups.append((task, pgid)) }
            }
        }
        return groups
    }

    @Test("200 tasks through different nodes, two nodes SIGKILLed mid-way (one running tasks), one restarted: every accepted task succeeds exactly once")
    func killTwoRestartOne() async throws {
        let cluster = try TestCluster(subnet: 70)
        defer { cluster.shutdown() }
        // "slow" agents run 1 s, "long" ones 5 s: the long ones keep t5 busy when it is killed.
        try await cluster.startTaskNodes(5, profiles: """
            {"profiles": [
              {"name": "slow", "command": ["/bin/sh", "-c", "cat > /dev/null; sleep 1; echo done"], "slots": 4},
              {"name": "long", "command": ["/bin/sh", "-c", "cat > /dev/null; sleep 5; echo done"], "slots": 4}
            ]}
            """)
        let specs = (0..<200).map { TaskSpec(profile: "slow", prompt: "task \($0)", affinity: "key-\($0)") }
        var accepted = Self.submitAll(cluster, Array(specs[0..<100]), through: [1, 2, 3, 4, 5])
        #expect(accepted.count == 100, "every submission before the kills is accepted")
        // On a loaded machine t5 can finish its share before the submissions end: until it runs an
        // agent, submit five more long tasks at a time (about one in five lands on t5).
        var extra = 0
        while Self.runningGroups(cluster, "t5").isEmpty && extra < 200 {
            let more = (extra..<extra + 5).map { TaskSpec(profile: "long", prompt: "extra \($0)", affinity: "extra-\($0)") }
            accepted += Self.submitAll(cluster, more, through: [1, 2, 3, 4, 5])
            extra += 5
            _ = poll(within: 1) { !Self.runningGroups(cluster, "t5").isEmpty }
        }
        #expect(!Self.runningGroups(cluster, "t5").isEmpty, "t5 runs agents after \(extra) extra long tasks")
        cluster.kill("t5")
        cluster.kill("t4")
        let groups = Self.runningGroups(cluster, "t5") + Self.runningGroups(cluster, "t4")
        let rerun = Set(Self.runningGroups(cluster, "t5").map(\.task))
        #expect(poll(within: 1) { groups.allSatisfy { AgentExecutionTests.liveMembers($0.pgid).isEmpty } },
                "agents of the killed nodes outlive them: \(groups.filter { !AgentExecutionTests.liveMembers($0.pgid).isEmpty })")
        let later = Self.submitAll(cluster, Array(specs[100..<200]), through: [1, 2, 3])
        accepted += later
        try cluster.startTaskNode(4)
        // A submission whose owner just died goes to the next candidate when the connection to
        // that owner could not be made (nothing was sent); only a request already on a link that
        // was up when its owner died may be refused, and a task whose replica's answer was lost.
        #expect(later.count >= 75, "submissions after the kills are accepted too: \(later.count) of 100")
        print("accepted \(accepted.count) of \(200 + extra) (\(later.count) of 100 after the kills, \(extra) extra long ones before); t5 ran \(rerun.count) at its death")

        await cluster.eventually("every accepted task is terminal", timeout: 90, interval: 0.5) {
            guard let done = cluster.tasks(.succeeded, from: 1) else { return false }
            let ids = Set(done.compactMap { $0["id"]?.string })
            return accepted.allSatisfy { ids.contains($0.description) }
        }
        for id in accepted {
            let record = try #require(cluster.task(id, from: 2), "task \(id) is readable")
            #expect(record.taskState == "succeeded" && record.events("succeeded").count == 1, "\(id): \(record.serialized())")
            if rerun.contains(id.description) {
                #expect(record.events("succeeded").first?["node"]?.string != "t5", "\(id) re-ran elsewhere: \(record.serialized())")
                #expect(record.events("running").contains { $0["node"]?.string == "t5" }, "\(id) was running on t5")
            }
        }
        #expect(!rerun.isEmpty)
        for state in [TaskState.running, .queued, .accepted, .retrying] {
            let stuck = cluster.tasks(state, from: 3)
            let records = (stuck ?? []).compactMap { $0["id"]?.string.flatMap(TaskID.init) }.map { id in
                (accepted.contains(id) ? "accepted " : "not acknowledged ") + (cluster.task(id, from: 3)?.serialized() ?? "\(id): unreadable")
            }
            #expect(stuck?.isEmpty == true, "nothing stuck in \(state): \(records)")
        }
    }

    @Test("a node SIGKILLed again and again during a burst of submissions: every task it acknowledged is there after each restart")
    func crashDurability() async throws {
        let cluster = try TestCluster(subnet: 70)
        defer { cluster.shutdown() }
        try await cluster.startTaskNodes(3)
        var acknowledged: [TaskID] = []
        for round in 0..<3 {
            let roundIDs = Collected<TaskID>()
            let finished = Collected<Bool>()
            cluster.submitKeptAlive(through: 1, count: 10_000, accepted: roundIDs, finished: finished) {
                TaskSpec(profile: "ok", prompt: "round \(round) task \($0)")
            }
            await cluster.eventually("t1 acknowledged 30 tasks in round \(round)", timeout: 60) { roundIDs.count >= 30 }
            cluster.kill("t1")
            await cluster.eventually("the submitting thread saw t1 go", timeout: 30) { finished.count == 1 }
            acknowledged += roundIDs.all
            try cluster.startTaskNode(1)
            await cluster.eventually("t1 answers again", timeout: 20) { cluster.status("t1") != nil }
        }
        for id in acknowledged {
            await cluster.eventually("task \(id) is found after the restarts", timeout: 20) { cluster.task(id, from: 1) != nil }
            #expect(cluster.task(id, from: 2) != nil, "t2 finds \(id) too")
        }
        print("acknowledged \(acknowledged.count) tasks over 3 crashes; all present")
    }
}
