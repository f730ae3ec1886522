import Testing
@testable import MeshCore

/// Log compaction: a node whose log grew asks for a snapshot; the snapshot, with what follows it,
/// rebuilds what the whole log would; answers waiting for a sync are released by the snapshot.
struct TaskCompactionTests {
    static func spec(_ key: String) -> TaskSpec { TaskSpec(profile: "shell", prompt: "echo hi", idempotencyKey: key) }

    /// What recovery rebuilt, in a comparable form.
    struct Rebuilt: Equatable, CustomStringConvertible {
        var records: [TaskID: TaskRecord]
        /// Owned task → its replica.
        var owned: [TaskID: String?]
        /// Owned task → the finish recovery resumes.
        var finishing: [TaskID: TaskRecord]
        var recoveredCopies: Set<TaskID>
        var isRestart: Bool
        /// Takeover marks that count.
        var marks: [TaskID: UInt64]

        init(_ machine: TaskMachine) {
            var machine = machine
            records = machine.records
            owned = [:]
            finishing = [:]
            for id in machine.owned.ids {
                owned[id] = .some(machine.owned[id]!.replica)
                finishing[id] = machine.owned[id]!.finishing
            }
            recoveredCopies = machine.recoveredCopies
            isRestart = machine.isRestart
            marks = machine.takeoverMarks
        }

        var description: String {
            "\(records.count) records, owned \(owned.keys.sorted().map { "\($0)→\(owned[$0]! ?? "-")" }), copies \(recoveredCopies.sorted())"
        }
    }

    static func recovered(_ log: [LogRecord], name: String = "n0", position: LogPosition? = nil) -> TaskMachine {
        TaskMachine(name: name, incarnation: 1, slots: ["shell": 2], settings: TaskSettings(),
                    recovered: RecoveredLog(records: log, position: position ?? LogPosition(log.count)))
    }

    /// The log a task's successive states leave: `created` for the first, then one `progressed`
    /// per event added (as `commitLocally` appends them).
    static func log(of states: [TaskRecord]) -> [LogRecord] {
        var log = [TaskLogEntry.created(states[0]).logRecord]
        for (before, after) in zip(states, states.dropFirst()) {
            for event in after.history.dropFirst(before.history.count) {
                log.append(TaskLogEntry.progressed(after.id, after.progress, event).logRecord)
            }
        }
        return log
    }

    /// A task's states from accepted and queued, through `changes`.
    static func states(_ key: String, owner: String, epoch: UInt64 = 1, _ changes: [TaskChange]) -> [TaskRecord] {
        var record = TaskRecord(id: TaskID.idempotent(key: key), spec: spec(key), owner: owner, ownerEpoch: epoch, copies: 2, at: 1)
        _ = record.apply(.queue, by: owner, at: 2)
        var states = [record]
        for (n, change) in changes.enumerated() {
            _ = record.apply(change, by: owner, at: Int64(3 + n))
            states.append(record)
        }
        return states
    }

    static func role(_ key: String, _ role: TaskRoleEntry.Role) -> LogRecord {
        TaskRoleEntry(id: TaskID.idempotent(key: key), role: role).logRecord
    }

    static var fence: TaskFence { TaskFence(epoch: 1, attempt: 1) }

    /// Every kind of task a log holds: owned (running, with a replica changed once), owned and
    /// finished, another owner's copy, a passive copy, a copy passive then kept again, a dropped
    /// one, one with a history too long for one `created`, and one this node took over.
    static var wholeLog: [LogRecord] {
        var log: [LogRecord] = []
        log += Self.log(of: Self.states("a", owner: "n0", [.start]))
        log += [Self.role("a", .replica("n1")), Self.role("a", .replica("n2"))]
        log += Self.log(of: Self.states("b", owner: "n0", [.start, .finish(Self.fence, .succeeded)]))
        log += [Self.role("b", .replica("n1"))]
        log += [Self.role("c", .kept)] + Self.log(of: Self.states("c", owner: "n1", [.start]))
        log += [Self.role("d", .replica("n1"))] + Self.log(of: Self.states("d", owner: "n2", epoch: 2, [])) + [Self.role("d", .passive)]
        log += [Self.role("g", .passive)] + Self.log(of: Self.states("g", owner: "n2", [])) + [Self.role("g", .kept)]
        log += [Self.role("e", .kept)] + Self.log(of: Self.states("e", owner: "n1", [.start])) + [Self.role("e", .dropped)]
        let retries: [TaskChange] = [.start, .lose(reason: "lost"), .start, .lose(reason: "lost"), .start, .lose(reason: "lost"), .start]
        log += [Self.role("f", .kept)] + Self.log(of: Self.states("f", owner: "n2", retries))
        log += Self.log(of: Self.states("h", owner: "n1", [.start])) + [Self.role("h", .replica("n2"))]
        log += Self.log(of: Self.states("h", owner: "n0", epoch: 2, [.lose(reason: "taken over")]))
        // An owned task whose success is a pending finish (synced, not yet stored on the replica),
        // and one whose pending finish was given up.
        let running = Self.states("p", owner: "n0", [.start])
        var done = running.last!
        _ = done.apply(.finish(Self.fence, .succeeded), by: "n0", at: 9)
        log += Self.log(of: running) + [Self.role("p", .replica("n1")), TaskFinishingEntry(finishing: done, over: running.last!).logRecord]
        let other = Self.states("q", owner: "n0", [.start])
        var failed = other.last!
        _ = failed.apply(.finish(Self.fence, .failed("exit 1")), by: "n0", at: 9)
        log += Self.log(of: other) + [Self.role("q", .replica("n2")), TaskFinishingEntry(finishing: failed, over: other.last!).logRecord,
                                      TaskFinishingEntry(givingUp: failed.id, progress: failed.progress).logRecord]
        // Takeover marks: one over another owner's copy that counts (epoch 2 over 1), one the
        // takeover then committed (h: epoch 2 held), one cleared, and one over a dropped copy.
        let mark = { (key: String, epoch: UInt64, cleared: Bool) in
            TaskTakeoverMark(id: TaskID.idempotent(key: key), epoch: epoch, isCleared: cleared).logRecord
        }
        log += [mark("c", 2, false), mark("h", 2, false), mark("g", 2, false), mark("g", 2, true), mark("e", 3, false)]
        return log
    }

    @Test func theSnapshotRebuildsWhatTheWholeLogWould() {
        let whole = Self.wholeLog
        let fromWhole = Self.recovered(whole)
        let snapshot = fromWhole.snapshotRecords()
        #expect(snapshot.count < whole.count)
        let fromSnapshot = Self.recovered(snapshot, position: LogPosition(whole.count))
        #expect(Rebuilt(fromSnapshot) == Rebuilt(fromWhole), "\(Rebuilt(fromSnapshot)) vs \(Rebuilt(fromWhole))")
        // The cases the log was built for, as recovery reads them.
        let id = { TaskID.idempotent(key: $0) }
        #expect(fromSnapshot.owned[id("a")]?.replica == "n2" && fromSnapshot.owned[id("h")]?.replica == "n2")
        #expect(fromSnapshot.owned[id("b")] == nil && fromSnapshot.records[id("b")]?.state == .succeeded)
        #expect(fromSnapshot.recoveredCopies == [id("c"), id("f"), id("g")])
        #expect(fromSnapshot.records[id("d")] != nil && fromSnapshot.records[id("e")] == nil)
        #expect(fromSnapshot.records[id("f")]!.history.count > TaskLogEntry.createdEventsMax)
        #expect(fromSnapshot.owned[id("p")]?.finishing?.state == .succeeded && fromSnapshot.owned[id("q")]?.finishing == nil)
        #expect(fromSnapshot.records[id("p")]?.state == .running, "a pending finish changes no record")
        #expect(fromSnapshot.takeoverMarks == [id("c"): 2, id("e"): 3], "marks that count, and only those")
        // Deterministic: the same state writes the same snapshot, and a snapshot of a snapshot is itself.
        #expect(Self.recovered(whole).snapshotRecords() == snapshot)
        #expect(fromSnapshot.snapshotRecords() == snapshot)
        // Nothing of the dropped task.
        #expect(!snapshot.contains { record in
            if let role = TaskRoleEntry(record) { return role.id == id("e") }
            return ((try? TaskLogEntry(record)) ?? nil).map { Self.names($0, id("e")) } ?? false
        })

        // Records appended after the snapshot replay on top of it as on top of the whole log.
        var after = Self.log(of: Self.states("i", owner: "n0", [])) + [Self.role("i", .replica("n1"))]
        after += [Self.role("c", .passive), Self.role("a", .replica("n1")), Self.role("d", .kept), Self.role("f", .dropped)]
        after += Self.log(of: Self.states("a", owner: "n0", [.start, .finish(Self.fence, .succeeded)]))
        let wholeThenMore = Self.recovered(whole + after)
        let snapshotThenMore = Self.recovered(snapshot + after, position: LogPosition(whole.count + after.count))
        #expect(Rebuilt(snapshotThenMore) == Rebuilt(wholeThenMore), "\(Rebuilt(snapshotThenMore)) vs \(Rebuilt(wholeThenMore))")
        #expect(snapshotThenMore.recoveredCopies == [id("d"), id("g")])
        #expect(snapshotThenMore.owned[id("i")]?.replica == "n1")
    }

    static func names(_ entry: TaskLogEntry, _ id: TaskID) -> Bool {
        switch entry {
        case .created(let record): record.id == id
        case .progressed(let task, _, _): task == id
        }
    }

    @Test func anEmptyStateStillLeavesARestartedNode() {
        let log = [Self.role("x", .kept)] + Self.log(of: Self.states("x", owner: "n1", [])) + [Self.role("x", .dropped)]
        let fromWhole = Self.recovered(log)
        let snapshot = fromWhole.snapshotRecords()
        #expect(snapshot.count == 1)
        #expect(Rebuilt(Self.recovered(snapshot, position: 3)) == Rebuilt(fromWhole))
        #expect(Self.recovered(snapshot, position: 3).isRestart)
    }

    static var compacting: TaskSettings {
        var settings = TaskSettings()
        settings.logCompactionFloor = 64
        return settings
    }

    /// Submits `count` tasks through the nodes in turn and runs every attempt to success.
    static func runTasks(_ cluster: TaskCluster, _ keys: [String]) -> [UInt64] {
        var requests: [UInt64] = []
        for (n, key) in keys.enumerated() {
            requests.append(cluster.submit(spec(key), via: n % cluster.nodes.count))
            cluster.run(for: .milliseconds(20))
        }
        for _ in 0..<60 {
            cluster.exitAllAgents()
            cluster.run(for: .milliseconds(100))
        }
        return requests
    }

    @Test func aNodeWhoseLogGrewCompactsItAndRecoversFromTheSnapshot() {
        let cluster = TaskCluster(size: 3, taskSettings: Self.compacting)
        let keys = (0..<150).map { "t\($0)" }
        let requests = Self.runTasks(cluster, keys)
        #expect(requests.allSatisfy { cluster.acceptance($0) != nil })
        for i in 0..<3 {
            let disk = cluster.disks[i]
            let stats = cluster.nodes[i]!.tasks.stats
            #expect(disk.compactions > 0 && stats.compactions == UInt64(disk.compactions), "n\(i): \(disk.compactions) snapshots, \(cluster.nodes[i]!.tasks.snapshotRecordCount) records in the next")
            // The log holds a snapshot and what followed it: within the bound that asks for the next.
            let bound = 3 * cluster.nodes[i]!.tasks.snapshotRecordCount + Self.compacting.logCompactionFloor
            #expect(disk.records.count < disk.appendedEver.count && disk.records.count <= bound,
                    "n\(i): \(disk.records.count) of \(disk.appendedEver.count), bound \(bound)")
            // Everything synced: the snapshot and what followed it rebuild what the whole log would.
            #expect(disk.durable == disk.records.count)
            let fromDisk = Self.recovered(disk.records, name: cluster.names[i], position: disk.position)
            let fromWhole = Self.recovered(disk.appendedEver, name: cluster.names[i])
            #expect(Rebuilt(fromDisk) == Rebuilt(fromWhole), "n\(i): \(Rebuilt(fromDisk)) vs \(Rebuilt(fromWhole))")
            #expect(fromDisk.records == cluster.nodes[i]!.tasks.records)
        }
        // A node that restarts from its snapshot holds every task it held, and more work still
        // completes exactly once.
        let before = cluster.nodes[1]!.tasks.records
        cluster.crash(1)
        cluster.restart(1)
        #expect(cluster.nodes[1]!.tasks.records == before)
        let more = Self.runTasks(cluster, (0..<30).map { "u\($0)" })
        #expect(more.allSatisfy { cluster.acceptance($0) != nil })
        for key in keys + (0..<30).map({ "u\($0)" }) {
            let id = TaskID.idempotent(key: key)
            #expect(cluster.nodes.contains { $0?.tasks.records[id]?.state == .succeeded }, "\(key)")
            #expect(cluster.syncedTerminalEvents(of: id).count == 1, "\(key)")
        }
    }

    @Test func aSmallLogIsNeverCompacted() {
        let cluster = TaskCluster(size: 3)
        _ = Self.runTasks(cluster, (0..<20).map { "s\($0)" })
        #expect(cluster.disks.allSatisfy { $0.compactions == 0 })
    }

    static var compactingAlways: TaskSettings {
        var settings = TaskSettings()
        settings.logCompactionFloor = 0
        settings.logCompactionGrowth = 0
        return settings
    }

    @Test func anAnswerWaitingForASyncIsReleasedByTheSnapshotThatCoversIt() {
        let cluster = TaskCluster(size: 3, taskSettings: Self.compactingAlways)
        // No sync ever completes: only snapshots make records durable.
        for i in 0..<3 { cluster.holdSyncs.insert(i); cluster.holdCompactions.insert(i) }
        let first = cluster.submit(Self.spec("k1"), via: 0)
        cluster.run(for: .milliseconds(100))
        let id = TaskID.idempotent(key: "k1")
        let owner = cluster.owner(of: id)!
        let replica = cluster.names.firstIndex(of: cluster.nodes[owner]!.tasks.owned[id]!.replica!)!
        #expect(cluster.disks[owner].compactions == 1 && cluster.disks[replica].compactions == 1)
        #expect(cluster.replies[first] == nil)
        // The owner's snapshot is durable: its own copy counts, the replica's answer still waits.
        cluster.releaseCompactions(owner)
        cluster.run(for: .milliseconds(100))
        #expect(cluster.replies[first] == nil)
        // A second task stored on the same replica while its first snapshot is in flight: its
        // answer waits for a position past that snapshot.
        cluster.holdCompactions.insert(owner)
        var second: UInt64 = 0
        var secondID = id
        for n in 0..<40 {
            let key = "k2-\(n)"
            secondID = TaskID.idempotent(key: key)
            second = cluster.submit(Self.spec(key), via: owner)
            cluster.run(for: .milliseconds(50))
            if cluster.nodes[owner]!.tasks.owned[secondID]?.replica == cluster.names[replica] { break }
        }
        #expect(cluster.nodes[owner]!.tasks.owned[secondID]?.replica == cluster.names[replica])
        cluster.releaseCompactions(owner)
        cluster.releaseCompactions(replica)
        cluster.holdCompactions.insert(replica)
        cluster.run(for: .milliseconds(100))
        #expect(cluster.acceptance(first)?.copies == 2, "released by the snapshot that covers it")
        #expect(cluster.replies[second] == nil, "the first snapshot does not cover the second task")
        #expect(cluster.disks[replica].compactions == 2, "the next snapshot was asked for, held")
        cluster.releaseCompactions(replica)
        cluster.run(for: .milliseconds(100))
        #expect(cluster.acceptance(second)?.copies == 2)
    }
}
