import Testing
@testable import MeshCore

/// Leases, fencing and takeover.
struct TaskMachineLeaseTests {
    /// A 5-node cluster with one task accepted and running; returns the task, its owner and replica.
    static func runningTask(_ key: String = "t") -> (TaskCluster, TaskID, owner: Int, replica: Int) {
        let cluster = TaskCluster(size: 5)
        let request = cluster.submit(TaskMachineSubmitTests.spec(key), via: 0)
        cluster.run(for: .seconds(1))
        let id = cluster.acceptance(request)!.id
        let owner = cluster.owner(of: id)!
        let replica = cluster.names.firstIndex(of: cluster.nodes[owner]!.tasks.owned[id]!.replica!)!
        return (cluster, id, owner, replica)
    }

    @Test func anOwnerCutOffFromItsReplicaStopsTheAttemptBeforeTheLeaseLapses() {
        let (cluster, id, owner, replica) = Self.runningTask()
        #expect(cluster.running[owner]?.count == 1)
        let renewedAt = cluster.now
        cluster.blocked.insert([owner, replica])
        cluster.blocked.insert([replica, owner])
        // The lease lasts 2.5 s from the last granted renew (sent ≤ 0.5 s before the cut): the
        // attempt must stop by lease end − stop margin, i.e. within 2.5 s of the cut.
        cluster.run(for: .milliseconds(2_500))
        #expect(cluster.stopped.contains { $0.node == owner })
        #expect(cluster.running[owner]?.isEmpty == true)
        #expect(cluster.record(id, at: owner)?.state == .retrying)
        #expect(cluster.record(id, at: owner)?.progress.lostAttempts == 1)
        #expect(cluster.now - renewedAt <= .milliseconds(2_500))
    }

    @Test func theReplicaTakesOverADeadOwnersTaskWithTheNextEpochAndReRunsItAtOnce() {
        let (cluster, id, owner, replica) = Self.runningTask()
        cluster.crash(owner)
        // Dead-detection (SWIM, LAN settings) plus lease expiry plus margin.
        cluster.run(for: .seconds(20))
        let record = cluster.record(id, at: replica)!
        #expect(record.progress.owner == cluster.names[replica])
        #expect(record.progress.ownerEpoch == 2)
        #expect(record.progress.failures == 0)
        #expect(record.progress.lostAttempts == 1)
        #expect(cluster.running[replica]?.count == 1)
        let rerun = cluster.running[replica]!.first!
        #expect(rerun.attempt == 2)
        // The re-run finishes the task, once, on the new owner and its new replica.
        cluster.exitAgent(replica, rerun.run)
        cluster.run(for: .seconds(1))
        #expect(cluster.record(id, at: replica)?.state == .succeeded)
        let newReplica = cluster.names.firstIndex(of: cluster.nodes[replica]!.tasks.owned[id]!.replica!)!
        #expect(newReplica != owner)
        #expect(cluster.record(id, at: newReplica)?.state == .succeeded)
    }

    @Test func aResultFromTheOldEpochIsStaleAndChangesNothing() {
        let (cluster, id, owner, replica) = Self.runningTask()
        let oldRun = cluster.running[owner]!.first!
        // A partition long enough for the replica's side (the majority) to take over.
        for other in 0..<5 where other != owner {
            cluster.blocked.insert([owner, other]); cluster.blocked.insert([other, owner])
        }
        cluster.run(for: .seconds(20))
        #expect(cluster.record(id, at: replica)?.progress.ownerEpoch == 2)
        // The old owner's agent (already killed for lack of a lease) reports success anyway: stale.
        let staleBefore = cluster.nodes[owner]!.tasks.stats.staleResults
        cluster.exitAgent(owner, oldRun.run, .exited(0))
        cluster.run(for: .seconds(1))
        #expect(cluster.nodes[owner]!.tasks.stats.staleResults == staleBefore + 1)
        #expect(cluster.record(id, at: replica)?.state != .succeeded)
        #expect(cluster.record(id, at: owner)?.state != .succeeded)
        // Healed, the old owner's copy is fenced off by the higher epoch and dropped.
        cluster.blocked.removeAll()
        cluster.run(for: .seconds(10))
        #expect(cluster.owner(of: id) == replica)
    }

    @Test func aFailedAttemptRetriesWithBackoffAndCountsAsAFailure() {
        let (cluster, id, owner, _) = Self.runningTask()
        let run = cluster.running[owner]!.first!
        cluster.exitAgent(owner, run.run, .exited(3))
        cluster.run(for: .milliseconds(500))
        #expect(cluster.record(id, at: owner)?.state == .retrying)
        #expect(cluster.record(id, at: owner)?.progress.failures == 1)
        #expect(cluster.running[owner]?.isEmpty == true)
        cluster.run(for: .seconds(1))
        #expect(cluster.running[owner]?.first?.attempt == 2)
    }

    @Test func theReplicaDiesAndTheOwnerStoresItsTasksOnANewOne() {
        let (cluster, id, owner, replica) = Self.runningTask()
        cluster.crash(replica)
        cluster.run(for: .seconds(20))
        let newReplica = cluster.nodes[owner]!.tasks.owned[id]!.replica!
        #expect(newReplica != cluster.names[replica])
        let index = cluster.names.firstIndex(of: newReplica)!
        #expect(cluster.record(id, at: index) != nil)
        #expect(cluster.nodes[owner]!.tasks.stats.replicasReplaced >= 1)
    }

    @Test func aLeavingOwnerHandsItsTasksToTheirReplicas() {
        let (cluster, id, owner, replica) = Self.runningTask()
        cluster.apply(owner, cluster.nodes[owner]!.handle(.leave, at: cluster.moment))
        cluster.run(for: .seconds(1))
        #expect(cluster.stopped.contains { $0.node == owner })
        let record = cluster.record(id, at: replica)!
        #expect(record.progress.owner == cluster.names[replica])
        #expect(record.progress.ownerEpoch == 2)
        #expect(cluster.nodes[replica]!.tasks.stats.handovers == 1)
        #expect(cluster.running[replica]?.count == 1)
        let submit = cluster.submit(TaskMachineSubmitTests.spec("late"), via: owner)
        cluster.run(for: .milliseconds(10))
        #expect(cluster.replies[submit] == .taskRefused(.leaving))
    }
}
