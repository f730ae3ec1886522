import Testing
@testable import MeshCore

/// An owner syncs a terminal state as a pending finish before it stores it on the replica, so a
/// restart between the replica's `stored` and the owner's commit resumes that finish.
struct TaskPendingFinishTests {
    /// The replica stores the terminal state but its answer is lost; the owner and the replica both
    /// die, and only the owner comes back. Before, the owner re-ran the task (two terminal states,
    /// the replica's copy holding the first) or, with a wait for the dead replica, never ran
    /// anything again. Now it resumes its finish on a new replica: one run, one terminal event.
    @Test func aRestartedOwnerResumesItsFinishOnANewReplicaWithoutRunningTheTaskAgain() {
        let (cluster, id, owner, replica) = TaskMachineLeaseTests.runningTask("pending")
        cluster.cut.insert([replica, owner])   // the replica's `stored` answer is lost
        cluster.exitAllAgents()
        for _ in 0..<200 where cluster.record(id, at: replica)?.state != .succeeded {
            cluster.run(for: .milliseconds(1))
        }
        #expect(cluster.record(id, at: replica)?.state == .succeeded)
        #expect(cluster.record(id, at: owner)?.state == .running, "the owner has not committed it")
        let pending = cluster.disks[owner].records.prefix(cluster.disks[owner].durable)
            .compactMap { (try? TaskFinishingEntry($0)) ?? nil }
        #expect(pending.map(\.id) == [id], "the owner's pending finish is durable before the replica stored it")

        cluster.crash(owner)
        cluster.crash(replica)
        cluster.cut.removeAll()
        cluster.restart(owner)
        for _ in 0..<40 {
            cluster.run(for: .seconds(1))
            cluster.exitAllAgents()
        }
        let terminal = cluster.syncedTerminalEvents(of: id)
        #expect(terminal.count == 1, "terminal events: \(terminal)")
        #expect(cluster.record(id, at: owner)?.state == .succeeded)
        let holders = cluster.names.indices.filter { $0 != owner && cluster.record(id, at: $0)?.state == .succeeded }
        #expect(!holders.isEmpty, "a new replica holds the terminal state")
        #expect(cluster.started.filter { $0.run.task == id.description }.count == 1, "the task ran once")
    }

    /// A pending finish resumes only over the committed record it was made from.
    @Test func aPendingFinishResumesOnlyOverTheRecordItFinishes() throws {
        let (cluster, id, owner, _) = TaskMachineLeaseTests.runningTask("resume")
        let committed = try #require(cluster.record(id, at: owner))
        var finishing = committed
        guard case .applied = finishing.apply(.finish(committed.progress.fence, .succeeded), by: "n", at: 1) else {
            Issue.record("no finish"); return
        }
        let entry = TaskFinishingEntry(finishing: finishing, over: committed)
        #expect(entry.events.count == 1)
        #expect(try TaskFinishingEntry(entry.logRecord) == entry)
        #expect(entry.resumed(over: committed) == finishing)
        #expect(entry.resumed(over: finishing) == nil, "committed already")
        var takenOver = committed
        _ = takenOver.apply(.takeOver(owner: "other", epoch: 2), by: "other", at: 2)
        #expect(entry.resumed(over: takenOver) == nil, "another epoch decided the task")
        #expect(TaskFinishingEntry(givingUp: id, progress: finishing.progress).resumed(over: committed) == nil)
        // Hostile bodies are refused, never trusted.
        var oversized = entry.logRecord
        oversized.body[1 + 16 + progressBytes(entry)] = 200
        #expect(throws: DecodeError.self) { try TaskFinishingEntry(oversized) }
        #expect(throws: DecodeError.self) { try TaskFinishingEntry(LogRecord(kind: TaskFinishingEntry.kind, body: [TaskCodec.version])) }
        #expect(try TaskFinishingEntry(LogRecord(kind: TaskLogEntry.progressedKind, body: [])) == nil)
    }

    private func progressBytes(_ entry: TaskFinishingEntry) -> Int {
        var w = ByteWriter(capacity: 64)
        TaskCodec.write(entry.progress, to: &w)
        return w.bytes.count
    }
}
