import Testing
@testable import MeshCore

/// A taker syncs a mark before its takeover's `store` leaves (`TaskTakeoverMark`), so a crash
/// before the takeover counts does not let it take the old owner's older epoch for current.
struct TaskTakeoverMarkTests {
    /// The owner finishes its attempt cut off from everyone; its replica takes the task over, the
    /// new replica stores that epoch, and the taker crashes before hearing so. The new replica
    /// takes it over in turn and runs it. The taker comes back with only the old owner's copy, and
    /// the old owner's terminal state (a late `store`, once the cut heals) reaches it. Without the
    /// mark it stored that state and the task finished twice (once per epoch).
    @Test func aTakerThatCrashedBeforeItsTakeoverCountedRefusesTheOldOwnersLateFinish() throws {
        let (cluster, id, owner, taker) = TaskMachineLeaseTests.runningTask("marked")
        let others = cluster.names.indices.filter { $0 != owner }
        for other in others {
            cluster.blocked.insert([owner, other])
            cluster.blocked.insert([other, owner])
        }
        cluster.exitAllAgents()   // the owner's attempt succeeds; its store cannot leave
        for _ in 0..<30_000 where cluster.nodes[taker]?.tasks.owned[id]?.isTakingOver != true {
            cluster.run(for: .milliseconds(1))
        }
        #expect(cluster.nodes[taker]?.tasks.owned[id]?.isTakingOver == true, "the replica takes the task over")
        // Every answer to the taker is lost from here: its takeover never counts there.
        for other in others where other != taker { cluster.cut.insert([other, taker]) }
        for _ in 0..<5_000 where !others.contains(where: { cluster.record(id, at: $0)?.progress.ownerEpoch == 2 && $0 != taker }) {
            cluster.run(for: .milliseconds(1))
        }
        let holder = try #require(others.first { $0 != taker && cluster.record(id, at: $0)?.progress.ownerEpoch == 2 },
                                  "the new replica stored the takeover")
        #expect(cluster.record(id, at: taker)?.progress.ownerEpoch == 1, "the taker has not committed it")
        let marks = cluster.disks[taker].records.prefix(cluster.disks[taker].durable)
            .compactMap { (try? TaskTakeoverMark($0)) ?? nil }
        #expect(marks == [TaskTakeoverMark(id: id, epoch: 2)], "the mark is durable before the new replica stored the takeover")
        cluster.crash(taker)
        cluster.cut.removeAll()

        // The new replica takes the task over (epoch 3) and runs it, held until the end.
        for _ in 0..<60 where cluster.running[holder]?.isEmpty ?? true { cluster.run(for: .seconds(1)) }
        #expect(cluster.record(id, at: holder)?.progress.ownerEpoch == 3)
        let laterRun = cluster.holdRun(on: holder)

        cluster.restart(taker)
        cluster.blocked.removeAll()
        cluster.run(for: .seconds(60))
        cluster.exitAgent(holder, laterRun.run)
        cluster.runEndingAgents(seconds: 20)

        let terminal = cluster.syncedTerminalEvents(of: id)
        #expect(terminal.count == 1, "terminal events: \(terminal)")
        #expect(terminal.first?.node == cluster.names[holder], "the epoch that ran last finished it")
        #expect((cluster.nodes[owner]?.tasks.stats.staleResults ?? 0) >= 1, "the old owner's result is stale")
        #expect(cluster.record(id, at: owner)?.progress.ownerEpoch == 3, "the old owner keeps the newer copy")
        #expect(cluster.record(id, at: taker)?.progress.ownerEpoch == 3, "the taker keeps the newer copy")
    }

    /// The mark's codec: a round trip, and hostile bodies refused.
    @Test func aMarkRoundTripsAndHostileBodiesAreRefused() throws {
        let id = TaskID(bytes: Bytes(repeating: 7, count: TaskID.byteCount))!
        for mark in [TaskTakeoverMark(id: id, epoch: 2), TaskTakeoverMark(id: id, epoch: TaskLimits.epochMax, isCleared: true)] {
            #expect(try TaskTakeoverMark(mark.logRecord) == mark)
        }
        var tooBig = TaskTakeoverMark(id: id, epoch: 2).logRecord
        for i in 0..<8 { tooBig.body[1 + TaskID.byteCount + i] = 0xFF }
        #expect(throws: DecodeError.self) { try TaskTakeoverMark(tooBig) }
        var badFlag = TaskTakeoverMark(id: id, epoch: 2).logRecord
        badFlag.body[badFlag.body.count - 1] = 9
        #expect(throws: DecodeError.self) { try TaskTakeoverMark(badFlag) }
        var long = TaskTakeoverMark(id: id, epoch: 2).logRecord
        long.body.append(0)
        #expect(throws: DecodeError.self) { try TaskTakeoverMark(long) }
        #expect(try TaskTakeoverMark(LogRecord(kind: TaskFinishingEntry.kind, body: [])) == nil)
    }
}
