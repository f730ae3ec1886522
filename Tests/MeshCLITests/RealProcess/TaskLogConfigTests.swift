import Foundation
import MeshCore
@testable import MeshRuntime
import Testing

/// The config file's `"tasks"` key on real processes (127.0.93.x): a low `logCompactionFloor`
/// reaches the task machine, and a node restarted from its snapshot loses nothing.
@Suite("Real nodes: the \"tasks\" config key", .serialized, .timeLimit(.minutes(4)))
struct TaskLogConfigTests {
    @Test("with a compaction floor of 64 the owner snapshots its log, and after a SIGKILL every task is still succeeded")
    func compactionFloorFromConfig() async throws {
        let cluster = try TestCluster(subnet: 93)
        defer { cluster.shutdown() }
        // The default floor (4,096 records) is never reached by 300 tasks: a compaction shows the key was read.
        try await cluster.startTaskNodes(3, profiles: #"{"tasks": {"logCompactionFloor": 64}, "# + TestCluster.taskProfiles().dropFirst())
        let accepted = Collected<TaskID>()
        let finished = Collected<Bool>()
        cluster.submitKeptAlive(through: 1, count: 300, accepted: accepted, finished: finished) {
            TaskSpec(profile: "ok", prompt: "task \($0)")
        }
        await cluster.eventually("the submitting thread is done", timeout: 90) { finished.count == 1 }
        let ids = accepted.all
        #expect(ids.count >= 250, "t1 accepted \(ids.count) of 300 tasks")

        var unfinished = Set(ids)
        await cluster.eventually("every accepted task succeeded", timeout: 120, interval: 0.5) {
            unfinished = unfinished.filter { cluster.task($0, from: 1)?.taskState != "succeeded" }
            return unfinished.isEmpty
        }
        await cluster.eventually("t1 compacted its log", timeout: 20) {
            (cluster.health("t1")?.counters["tasksLogCompactions"] ?? 0) > 0
        }
        #expect(cluster.health("t1")?.counters["tasksForgotten"] == 0, "nothing finished is forgotten within the retention")
        print("t1 compacted its log \(cluster.health("t1")?.counters["tasksLogCompactions"] ?? 0) times for \(ids.count) tasks")

        cluster.kill("t1")
        try cluster.startTaskNode(1)
        await cluster.eventually("t1 answers again", timeout: 20) { cluster.status("t1") != nil }
        for (index, from) in [(1, "t1"), (2, "t2")] {
            var missing = Set(ids)
            await cluster.eventually("every task is succeeded as \(from) finds it after t1's restart", timeout: 60, interval: 0.5) {
                missing = missing.filter { cluster.task($0, from: index)?.taskState != "succeeded" }
                return missing.isEmpty
            }
        }
    }
}
