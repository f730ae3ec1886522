import Testing
@testable import MeshCore

/// Finished tasks past `finishedRetention` are left out of the next snapshot and dropped from
/// memory, so neither the log nor what a node holds grows with every task it ever held.
struct TaskForgetTests {
    static var settings: TaskSettings {
        var settings = TaskSettings()
        settings.logCompactionFloor = 64
        settings.logCompactionGrowth = 1
        settings.finishedRetention = .seconds(60)
        return settings
    }

    @Test func finishedTasksPastTheRetentionAreForgottenAtTheNextSnapshotAndStayForgotten() {
        let cluster = TaskCluster(size: 3, taskSettings: Self.settings)
        let old = (0..<40).map { "old\($0)" }
        #expect(TaskCompactionTests.runTasks(cluster, old).allSatisfy { cluster.acceptance($0) != nil })
        let oldIDs = old.map { TaskID.idempotent(key: $0) }
        for id in oldIDs { #expect(cluster.syncedTerminalEvents(of: id).count == 1) }
        cluster.run(for: .seconds(61))
        // A task that never ends (held) must be kept however old it is.
        let held = cluster.submit(TaskCompactionTests.spec("held"), via: 0)
        cluster.run(for: .milliseconds(200))
        let heldID = TaskID.idempotent(key: "held")
        let heldOwner = cluster.owner(of: heldID)!
        _ = cluster.holdRun(on: heldOwner)
        cluster.run(for: .seconds(61))
        // New work grows the log past the floor: the snapshots leave the old tasks out.
        let fresh = (0..<100).map { "new\($0)" }
        #expect(TaskCompactionTests.runTasks(cluster, fresh).allSatisfy { cluster.acceptance($0) != nil })
        #expect(cluster.acceptance(held) != nil)
        for i in 0..<3 {
            let tasks = cluster.nodes[i]!.tasks
            #expect(cluster.disks[i].compactions > 0, "n\(i) compacted")
            #expect(tasks.stats.tasksForgotten > 0, "n\(i) forgot some: \(cluster.disks[i].compactions) snapshots, \(tasks.stats.compactions) asked, holds \(tasks.records.count)")
            #expect(oldIDs.allSatisfy { tasks.records[$0] == nil && tasks.owned[$0] == nil }, "n\(i) holds no old task")
        }
        // The fresh tasks and the running one are held: on two nodes each.
        for key in fresh + ["held"] {
            let id = TaskID.idempotent(key: key)
            #expect(cluster.nodes.filter { $0?.tasks.records[id] != nil }.count == 2, "\(key) held twice")
        }
        #expect(cluster.record(heldID, at: heldOwner)?.state == .running)
        // A restart reads the snapshot: the old tasks do not come back.
        cluster.crash(1)
        cluster.restart(1)
        #expect(oldIDs.allSatisfy { cluster.nodes[1]!.tasks.records[$0] == nil })
        // After the retention the same idempotency key makes a new task, which runs.
        let again = cluster.submit(TaskCompactionTests.spec("old0"), via: 2)
        cluster.runEndingAgents(seconds: 5)
        #expect(cluster.acceptance(again)?.id == oldIDs[0])
        #expect(cluster.nodes.contains { $0?.tasks.records[oldIDs[0]]?.state == .succeeded })
    }

    @Test func withTheDefaultRetentionNothingFinishedIsForgotten() {
        var settings = TaskSettings()
        settings.logCompactionFloor = 64
        let cluster = TaskCluster(size: 3, taskSettings: settings)
        _ = TaskCompactionTests.runTasks(cluster, (0..<80).map { "k\($0)" })
        cluster.run(for: .seconds(120))
        _ = TaskCompactionTests.runTasks(cluster, (0..<40).map { "m\($0)" })
        #expect(cluster.disks.allSatisfy { $0.compactions > 0 })
        #expect(cluster.nodes.allSatisfy { $0!.tasks.stats.tasksForgotten == 0 })
        #expect(cluster.nodes.map { $0!.tasks.records.count }.reduce(0, +) == 2 * 120)
    }
}
