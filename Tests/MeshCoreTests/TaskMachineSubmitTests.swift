import Testing
@testable import MeshCore

/// Submission: accepted means synced on both copies; alone means one copy; dedupe; busy; forwarding.
struct TaskMachineSubmitTests {
    static func spec(_ key: String? = nil, profile: String = "shell", affinity: String = "") -> TaskSpec {
        TaskSpec(profile: profile, prompt: "echo hi", affinity: affinity, idempotencyKey: key)
    }

    @Test func aTaskIsAcceptedOnlyAfterTheOwnerSyncedAndTheReplicaStored() {
        let cluster = TaskCluster(size: 3)
        // Hold every node's syncs: no reply may come while any copy is unsynced.
        for i in 0..<3 { cluster.holdSyncs.insert(i) }
        let request = cluster.submit(Self.spec("k1"), via: 0)
        cluster.run(for: .milliseconds(200))
        #expect(cluster.replies[request] == nil)
        let id = TaskID.idempotent(key: "k1")
        let owner = cluster.owner(of: id)!
        let replica = cluster.nodes[owner]!.tasks.owned[id]!.replica!
        let replicaIndex = cluster.names.firstIndex(of: replica)!
        // The owner's sync alone is not enough.
        cluster.releaseSyncs(owner)
        cluster.run(for: .milliseconds(200))
        #expect(cluster.replies[request] == nil)
        // The replica's sync completes its `stored`: now the client hears "accepted", 2 copies.
        cluster.releaseSyncs(replicaIndex)
        cluster.run(for: .milliseconds(200))
        #expect(cluster.acceptance(request) == TaskAcceptance(id: id, state: .accepted, copies: 2))
        #expect(cluster.disks[owner].durable >= 1 && cluster.disks[replicaIndex].durable >= 1)
        #expect(cluster.record(id, at: replicaIndex)?.spec == Self.spec("k1"))
    }

    @Test func aNodeAloneAcceptsWithOneCopyAndSaysSo() {
        let cluster = TaskCluster(size: 1)
        let request = cluster.submit(Self.spec("alone"), via: 0)
        cluster.run(for: .milliseconds(50))
        #expect(cluster.acceptance(request)?.copies == 1)
        #expect(cluster.started.count == 1)
    }

    @Test func aResubmissionWithTheSameKeyLandsOnTheSameTaskWithoutASecondCopy() {
        let cluster = TaskCluster(size: 3)
        let first = cluster.submit(Self.spec("same"), via: 1)
        cluster.run(for: .milliseconds(100))
        let appended = cluster.disks.map(\.records.count)
        let second = cluster.submit(Self.spec("same"), via: 2)
        cluster.run(for: .milliseconds(100))
        #expect(cluster.acceptance(first)?.id == cluster.acceptance(second)?.id)
        #expect(cluster.acceptance(second)?.isDuplicate == true)
        // Nothing created again: only the first task's own progress (queued, running) was appended.
        let holders = cluster.nodes.filter { $0?.tasks.records[TaskID.idempotent(key: "same")] != nil }.count
        #expect(holders == 2)
        let total: Int = cluster.disks.map(\.records.count).reduce(0, +)
        let totalBefore: Int = appended.reduce(0, +)
        #expect(total - totalBefore <= 4)
    }

    @Test func aFullQueueRefusesBusyAndAppendsNothing() {
        var settings = TaskSettings()
        settings.queueMax = 2
        let cluster = TaskCluster(size: 1, profiles: ["shell": 1], taskSettings: settings)
        var requests: [UInt64] = []
        for n in 0..<4 { requests.append(cluster.submit(Self.spec("q\(n)"), via: 0)); cluster.run(for: .milliseconds(20)) }
        // One runs (1 slot), two wait; the fourth finds the queue full.
        #expect(requests.prefix(3).allSatisfy { cluster.acceptance($0) != nil })
        let before = cluster.disks[0].records.count
        guard case .taskRefused(.busy)? = cluster.replies[requests[3]] else {
            Issue.record("expected busy, got \(String(describing: cluster.replies[requests[3]]))")
            return
        }
        cluster.run(for: .milliseconds(20))
        #expect(cluster.disks[0].records.count == before)
        #expect(cluster.nodes[0]!.tasks.records[TaskID.idempotent(key: "q3")] == nil)
    }

    @Test func anUnknownProfileIsRefusedAsTheClientsMistake() {
        let cluster = TaskCluster(size: 2)
        let request = cluster.submit(Self.spec("x", profile: "nosuch"), via: 0)
        cluster.run(for: .milliseconds(20))
        guard case .taskRefused(let refusal)? = cluster.replies[request] else { Issue.record("no refusal"); return }
        #expect(refusal == .unknownProfile("nosuch"))
        #expect(refusal.isClientError)
    }

    @Test func theEntryForwardsToTheOwnerThatRunsTheProfile() {
        let cluster = TaskCluster(size: 3, profiles: [:])
        // Only n2 runs "gpu": every submission ends there, whichever node it entered.
        cluster.profiles[2] = [CapacityProfile(name: "gpu", slots: 1)]
        cluster.crash(2)
        cluster.restart(2)
        cluster.run(for: .seconds(4))
        let request = cluster.submit(Self.spec("fw", profile: "gpu"), via: 0)
        cluster.run(for: .milliseconds(100))
        #expect(cluster.acceptance(request)?.copies == 2)
        #expect(cluster.owner(of: TaskID.idempotent(key: "fw")) == 2)
        #expect(cluster.nodes[0]!.tasks.stats.forwarded == 1)
    }

    @Test func aSubmitThatMadeTheHopLimitIsKeptByTheNodeThatGetsIt() throws {
        let message = TaskMessage.submit(id: TaskID.idempotent(key: "hops"), spec: Self.spec("hops", affinity: "a"), hops: 2)
        #expect(try TaskMessage.decode(message.encoded()) == message)
        var bytes = message.encoded()
        bytes[0] = 0x4F
        #expect((try? TaskMessage.decode(bytes)) == nil)
    }

    @Test func aNewTaskIsWrittenAcceptedAndQueuedInOneRecordOnEachCopy() {
        let cluster = TaskCluster(size: 3)
        for i in 0..<3 { cluster.holdSyncs.insert(i) }
        let request = cluster.submit(Self.spec("once"), via: 0)
        cluster.run(for: .milliseconds(200))
        let id = TaskID.idempotent(key: "once")
        let owner = cluster.owner(of: id)!
        let replica = cluster.names.firstIndex(of: cluster.nodes[owner]!.tasks.owned[id]!.replica!)!
        // Before any reply: one task entry on each copy, a `created` holding both events (one
        // store to the replica, one sync per copy instead of two).
        for node in [owner, replica] {
            let entries = cluster.disks[node].records.compactMap { try? TaskLogEntry($0) }
            #expect(entries.count == 1, "node \(node): \(entries)")
            guard case .created(let record)? = entries.first else { Issue.record("node \(node): no created entry"); continue }
            #expect(record.history.map(\.state.description) == ["accepted", "queued"])
            #expect(record.state == .queued)
        }
        cluster.releaseSyncs(owner)
        cluster.releaseSyncs(replica)
        cluster.run(for: .milliseconds(200))
        // The answer names the acceptance; the history keeps every state in order.
        #expect(cluster.acceptance(request) == TaskAcceptance(id: id, state: .accepted, copies: 2))
        #expect(cluster.record(id, at: owner)?.history.prefix(2).map(\.state.description) == ["accepted", "queued"])
    }
}
