import Testing
@testable import MeshCore

/// A takeover lost with the taker's memory (the sweep seeds 121 and 617 of tasks-sweep.json,
/// reduced to their cause).
struct TaskAdoptTests {
    /// The owner dies; its replica takes the task over and its new replica stores the next epoch,
    /// but the answer is lost and the taker dies before the takeover counted on its side. The old
    /// owner comes back and is fenced off by the new replica's copy; the taker comes back knowing
    /// only its old copy, whose owner is up. Before, nobody ran the task: it stayed `retrying`
    /// forever on the new replica, naming the taker as owner. Now the new replica pushes its copy
    /// back to the taker (whose incarnation rose), which adopts it and runs it, once.
    @Test func aTakeoverLostWithTheTakersMemoryIsAdoptedAndRuns() {
        let (cluster, id, owner, taker) = TaskMachineLeaseTests.runningTask("adopt")
        cluster.crash(owner)
        var newReplica: Int?
        for _ in 0..<30_000 where newReplica == nil {
            cluster.run(for: .milliseconds(1))
            if let local = cluster.nodes[taker]?.tasks.owned[id], local.isTakingOver, let replica = local.replica {
                newReplica = cluster.names.firstIndex(of: replica)
            }
        }
        guard let newReplica else { Issue.record("no takeover"); return }
        cluster.cut.insert([newReplica, taker])   // its `stored` answer is lost
        for _ in 0..<100 where cluster.record(id, at: newReplica)?.progress.ownerEpoch != 2 {
            cluster.run(for: .milliseconds(1))
        }
        #expect(cluster.record(id, at: newReplica)?.progress.owner == cluster.names[taker])
        // The taker restarts before the mesh holds it dead, so nobody takes the task over again.
        cluster.crash(taker)
        cluster.cut.removeAll()
        cluster.restart(owner)
        cluster.run(for: .milliseconds(200))
        cluster.restart(taker)
        cluster.runEndingAgents(seconds: 30)
        cluster.expectEndedOnce(id, in: .succeeded)
        #expect(cluster.record(id, at: newReplica)?.state == .succeeded)
        #expect(cluster.nodes[taker]!.tasks.stats.copiesAdopted == 1)
        #expect(cluster.started.filter { $0.run.task == id.description }.map(\.node) == [owner, taker])
    }
}
