import Testing
@testable import MeshCore

/// The pair (owner, replica) is a task's configuration: two pairs must never both be able to
/// change or finish the task.
struct TaskConfigurationTests {
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
