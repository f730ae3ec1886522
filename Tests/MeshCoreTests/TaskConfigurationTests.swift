import Testing
@testable import MeshCore

/// The pair (owner, replica) is a task's configuration: two pairs must never both be able to
/// change or finish the task.
struct TaskConfigurationTests {
    /// Cuts `group` off from every other node (both directions).
    static func cut(_ cluster: TaskCluster, _ group: Set<Int>) {
        cluster.blocked.removeAll()
        for a in 0..<5 where group.contains(a) {
            for b in 0..<5 where !group.contains(b) {
                cluster.blocked.insert([a, b]); cluster.blocked.insert([b, a])
            }
        }
    }

    @Test func aReplicaTheOwnerReplacedDoesNotTakeOverInALaterPartition() {
        let (cluster, id, owner, replica) = TaskMachineLeaseTests.runningTask()
        // The replica alone is cut off: the owner, on the majority side, replaces it.
        Self.cut(cluster, [replica])
        cluster.run(for: .seconds(15))
        let newReplicaName = cluster.nodes[owner]!.tasks.owned[id]!.replica!
        let newReplica = cluster.names.firstIndex(of: newReplicaName)!
        #expect(newReplica != replica)
        #expect(cluster.record(id, at: replica)?.progress.ownerEpoch == 1)
        // Healed: the old replica sees the owner alive again, never renewing with it.
        cluster.blocked.removeAll()
        cluster.run(for: .seconds(6))
        // Now the current pair is cut off, and the old replica is on the majority side.
        Self.cut(cluster, [owner, newReplica])
        cluster.run(for: .seconds(20))
        // Its copy belongs to a pair that no longer exists: it must not take the task over.
        #expect(cluster.record(id, at: replica).map { $0.progress.owner } != cluster.names[replica])
        #expect(cluster.nodes[replica]!.tasks.owned[id] == nil)
    }

    @Test func noTakeoverOrReplacementIsVerifiedOverAPartialView() {
        var peers = TaskPeers(selfName: "a")
        peers.peers["b"] = .init(address: Address(127, 0, 0, 2, port: 1), status: .alive)
        peers.aliveNames = ["b"]
        peers.knownNames = ["b"]
        peers.knownCount = 2
        peers.upCount = 2
        peers.hasFullView = false
        var machine = TaskMachine(name: "a", incarnation: 1, slots: [:], settings: TaskSettings(),
                                  recovered: RecoveredLog())
        let id = TaskID.idempotent(key: "k")
        machine.verify(id, purpose: .takeover, peers: peers)
        machine.verify(id, purpose: .replaceReplica, peers: peers)
        #expect(machine.verifications.isEmpty)
        #expect(machine.exchanges.isEmpty)
        peers.hasFullView = true
        machine.verify(id, purpose: .takeover, peers: peers)
        #expect(machine.exchanges.count == 1)
    }
}
