import Testing
@testable import MeshCore

/// Fencing across lost replies and partitions: whatever the faults, a task reaches a terminal
/// state once (the sweep seeds 229, 238 and 255 of tasks-sweep.json, reduced to their cause).
struct TaskFencingTests {
    /// Submits a task and stops the clock when its replica stored it but before its `stored`
    /// answer left; returns the cluster, the task, its owner, its replica and the request.
    static func storedOnReplica(_ key: String) -> (TaskCluster, TaskID, owner: Int, replica: Int, request: UInt64) {
        let cluster = TaskCluster(size: 5)
        let id = TaskID.idempotent(key: key)
        let request = cluster.submit(TaskMachineSubmitTests.spec(key), via: 0)
        for _ in 0..<200 {
            cluster.run(for: .milliseconds(1))
            if let replica = cluster.nodes.indices.first(where: { i in
                cluster.record(id, at: i).map { $0.progress.owner != cluster.names[i] } ?? false
            }) {
                return (cluster, id, cluster.owner(of: id)!, replica, request)
            }
        }
        Issue.record("the replica never stored the task")
        return (cluster, id, 0, 0, request)
    }

    static func split(_ cluster: TaskCluster, _ left: [Int], _ right: [Int]) {
        for a in left { for b in right { cluster.blocked.insert([a, b]); cluster.blocked.insert([b, a]) } }
    }

    /// The replica stored a new task, its answer was lost, and a partition put the owner with the
    /// next replica candidate on the minority side. Before the fix the owner stored the task on
    /// that candidate and ran it there while the first replica's side took it over and ran it too:
    /// two `succeeded`. Now the owner keeps to the replica that may hold a copy: the client hears
    /// "not stored", the cancellation waits for that replica, which took the task over: it ends once.
    @Test func aLostStoreAnswerNeverLeavesTwoCopiesThatBothFinish() {
        let (cluster, id, owner, replica, request) = Self.storedOnReplica("lost-answer")
        let spec = TaskMachineSubmitTests.spec("lost-answer")
        let candidates = cluster.nodes[owner]!.taskPeers().replicaCandidates(key: spec.placementKey(id: id), count: 3)
        #expect(candidates.first == cluster.names[replica])
        let next = cluster.names.firstIndex(of: candidates[1])!
        cluster.cut.insert([replica, owner])
        let left = [owner, next]
        Self.split(cluster, left, (0..<5).filter { !left.contains($0) })
        cluster.runEndingAgents(seconds: 20)
        cluster.blocked.removeAll()
        cluster.cut.removeAll()
        cluster.runEndingAgents(seconds: 10)
        let terminal = cluster.syncedTerminalEvents(of: id)
        #expect(terminal.count == 1, "terminal events: \(terminal)")
        #expect(cluster.record(id, at: next) == nil || cluster.record(id, at: next)?.progress.owner != cluster.names[owner])
        if case .taskRefused(let refusal)? = cluster.replies[request] {
            #expect(refusal.code == "not_stored")
        } else {
            Issue.record("the client heard \(String(describing: cluster.replies[request]))")
        }
    }
}

/// Takeover of copies recovered from the log.
struct TaskRecoveredCopyTests {
    /// The owner dies for good while its replica crashes and restarts: the replica's copy comes
    /// back from its log, and once the restart's quiet period is over (and membership holds the
    /// owner dead) it is taken over and runs, once. Before, a recovered copy was never taken over
    /// and the task stayed `running` forever.
    @Test(.disabled("recovered copies are not taken over (TaskMachine.takesOverRecoveredCopies): unsafe with a partial view after a restart; see README known gaps"))
    func aRecoveredReplicaCopyIsTakenOverWhenItsOwnerStaysDead() {
        var found: (TaskCluster, TaskID, owner: Int, replica: Int)?
        for n in 0..<20 {
            let candidate = TaskMachineLeaseTests.runningTask("recovered-\(n)")
            if candidate.owner != 0 && candidate.replica != 0 { found = candidate; break }
        }
        guard let (cluster, id, owner, replica) = found else { Issue.record("no task placed away from the seed node"); return }
        cluster.crash(owner)
        cluster.crash(replica)
        cluster.run(for: .seconds(1))
        cluster.restart(replica)
        cluster.runEndingAgents(seconds: 40)
        cluster.expectEndedOnce(id, in: .succeeded)
        let holders = cluster.nodes.indices.filter { cluster.record(id, at: $0)?.state == .succeeded }
        #expect(holders.count >= 2, "succeeded on \(holders)")
        #expect(cluster.owner(of: id) == replica)
        #expect(cluster.record(id, at: replica)?.progress.ownerEpoch == 2)
    }
}

/// Listings merge every member's copy by id before filtering.
struct TaskListingMergeTests {
    /// The replica's copy still says `running` after the owner recorded `retrying` (the replica
    /// was cut off): a listing of running tasks must not show it, one of retrying tasks must.
    /// Before, each member filtered its own copy first and the stale one was listed.
    @Test func aStaleCopyIsNotListedInAStateItsNewestCopyLeft() {
        let (cluster, id, owner, replica) = TaskMachineLeaseTests.runningTask("listed")
        #expect(cluster.record(id, at: replica)?.state == .running)
        cluster.blocked.insert([owner, replica]); cluster.blocked.insert([replica, owner])
        cluster.exitAgent(owner, cluster.running[owner]!.first!.run, .exited(3))
        cluster.run(for: .milliseconds(300))
        #expect(cluster.record(id, at: owner)?.state == .retrying)
        #expect(cluster.record(id, at: replica)?.state == .running)
        let entry = cluster.entry(awayFrom: owner, replica)
        let running = cluster.control(.tasks(TaskFilter(state: .running)), via: entry)
        let retrying = cluster.control(.tasks(TaskFilter(state: .retrying)), via: entry)
        cluster.run(for: .milliseconds(300))
        guard case .tasks(let runningList)? = cluster.replies[running], case .tasks(let retryingList)? = cluster.replies[retrying] else {
            Issue.record("no listing: \(String(describing: cluster.replies[running]))")
            return
        }
        #expect(!runningList.tasks.contains { $0.id == id })
        #expect(retryingList.tasks.contains { $0.id == id && $0.owner == cluster.names[owner] })
    }
}

/// Forwarding: the entry and the owner place with the same figures.
struct TaskForwardingTests {
    /// 60 tasks submitted through every node in turn, in bursts that load the owners: each one is
    /// forwarded at most once (the entry's forward), never a second time by the owner. Before,
    /// the entry counted its own load fresh and others' from gossip, the owner did the same from
    /// its side, and the two views disagreed on most tasks.
    @Test func aTaskIsForwardedAtMostOnceInTheCommonCase() {
        let cluster = TaskCluster(size: 5)
        var requests: [UInt64] = []
        for burst in 0..<6 {
            for n in 0..<10 { requests.append(cluster.submit(TaskMachineSubmitTests.spec("fw-\(burst)-\(n)"), via: n % 5)) }
            cluster.run(for: .milliseconds(400))
        }
        cluster.run(for: .seconds(1))
        let accepted = requests.filter { cluster.acceptance($0) != nil }.count
        #expect(accepted == requests.count)
        let stats = cluster.nodes.map { $0!.tasks.stats }
        let forwards = stats.reduce(0) { $0 + $1.forwarded }
        #expect(stats.reduce(0) { $0 + $1.forwardedAgain } == 0)
        #expect(forwards <= UInt64(requests.count))
    }
}

/// A forward to an owner that just died goes to the next candidate.
struct TaskForwardRetryTests {
    /// The owner of a new task was killed a moment ago (membership still holds it alive): the
    /// entry's forward finds no connection, so the request never left, and the next candidate
    /// of the placement takes the task. Before, the client heard "unavailable".
    @Test func aForwardToAJustKilledOwnerGoesToTheNextCandidate() {
        let cluster = TaskCluster(size: 5)
        let peers = cluster.nodes[0]!.taskPeers()
        var chosen: (TaskSpec, TaskID, Int)?
        for n in 0..<40 {
            let spec = TaskMachineSubmitTests.spec("retry-\(n)")
            let id = TaskID.idempotent(key: "retry-\(n)")
            let query = PlacementQuery(key: spec.placementKey(id: id), profile: spec.profile, requiredTags: spec.tags)
            let owner = PlacementView(candidates: peers.candidates).place(query, assigned: peers.assigned).owner
            if let owner, owner != cluster.names[0] { chosen = (spec, id, cluster.names.firstIndex(of: owner)!); break }
        }
        guard let (spec, id, owner) = chosen else { Issue.record("every key placed on the entry"); return }
        cluster.crash(owner)
        let request = cluster.submit(spec, via: 0)
        cluster.run(for: .milliseconds(500))
        #expect(cluster.nodes[0]!.taskPeers().status(of: cluster.names[owner]) == .alive)
        let acceptance = cluster.acceptance(request)
        #expect(acceptance?.id == id, "the client heard \(String(describing: cluster.replies[request]))")
        let owners = cluster.nodes.indices.filter { cluster.nodes[$0]?.tasks.owned[id] != nil }
        #expect(owners.count == 1)
        #expect(!owners.contains(owner))
    }
}

/// A terminal copy is never replaced by a store of another epoch.
struct TaskTerminalCopyTests {
    /// A replica holding a task's terminal state (it counted there) gets a takeover's `store` of
    /// the next epoch (a taker that did not hear from it): it answers `fenced` with the terminal
    /// copy and keeps it, so the task is not run again; a retried store of the same finish is
    /// still answered `stored`, and another epoch's terminal state is fenced too.
    @Test func aTakeoverStoreMeetingATerminalCopyIsFencedOff() throws {
        let cluster = TaskCluster(size: 3)
        let request = cluster.submit(TaskMachineSubmitTests.spec("done"), via: 0)
        cluster.runEndingAgents(seconds: 3)
        let id = try #require(cluster.acceptance(request)?.id)
        let owner = try #require(cluster.owner(of: id))
        let replica = try #require(cluster.nodes.indices.first { $0 != owner && cluster.record(id, at: $0) != nil })
        let finished = try #require(cluster.record(id, at: replica))
        #expect(finished.state == .succeeded)
        let taker = cluster.nodes.indices.first { $0 != owner && $0 != replica }!

        func store(_ record: TaskRecord, from sender: Int) -> TaskMessage? {
            var node = cluster.nodes[replica]!
            let peers = node.taskPeers()
            node.tasks.storeArrived(record, handover: false, from: cluster.names[sender], stream: StreamID(77), peers: peers)
            let answers = node.tasks.take().compactMap { effect -> Bytes? in
                if case .answer(StreamID(77), let bytes?) = effect { return bytes }
                return nil
            }
            cluster.nodes[replica] = node
            return answers.first.flatMap { try? TaskMessage.decode($0) }
        }
        var takeover = finished
        takeover.progress.state = .queued
        takeover.progress.owner = cluster.names[taker]
        takeover.progress.ownerEpoch = 2
        guard case .storeAnswer(.fenced(let kept))? = store(takeover, from: taker) else {
            Issue.record("the takeover was not fenced off"); return
        }
        #expect(kept == finished)
        #expect(cluster.record(id, at: replica) == finished, "the terminal copy is kept")
        var otherFinish = takeover
        otherFinish.progress.state = .succeeded
        guard case .storeAnswer(.fenced)? = store(otherFinish, from: taker) else {
            Issue.record("another epoch's finish was not fenced off"); return
        }
        guard case .storeAnswer(.stored)? = store(finished, from: owner) else {
            Issue.record("a retried store of the same finish is refused"); return
        }
        #expect(cluster.record(id, at: replica) == finished)
    }
}
