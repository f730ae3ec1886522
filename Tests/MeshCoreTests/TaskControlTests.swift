import Testing
@testable import MeshCore

/// Cancel, timeouts, declared outputs and artifacts in the task machine (issue 10 §3, §5).
struct TaskControlTests {
    static func spec(_ key: String, timeout: Nanoseconds = .seconds(60), attempts: UInt32 = 3, expect: [String] = []) -> TaskSpec {
        var spec = TaskSpec(profile: "shell", prompt: "echo hi", timeout: timeout, attemptsMax: attempts, idempotencyKey: key)
        spec.expect = expect
        return spec
    }

    /// A 5-node cluster with one task accepted and running (or queued when slots are full).
    static func submitted(_ spec: TaskSpec, profiles: [String: Int] = ["shell": 2],
                          taskSettings: TaskSettings = TaskSettings()) -> (TaskCluster, TaskID, owner: Int, replica: Int) {
        let cluster = TaskCluster(size: 5, profiles: profiles, taskSettings: taskSettings)
        let request = cluster.submit(spec, via: 0)
        cluster.run(for: .seconds(1))
        let id = cluster.acceptance(request)!.id
        let owner = cluster.owner(of: id)!
        let replica = cluster.names.firstIndex(of: cluster.nodes[owner]!.tasks.owned[id]!.replica!)!
        return (cluster, id, owner, replica)
    }

    static func artifact(_ name: String) -> TaskFile { TaskFile(name: name, size: 3, sha256: SHA256.hash(Array(name.utf8))) }

    @Test func aRunningTaskCancelledThroughAnotherNodeIsStoppedThenRecordedCancelledOnBothCopies() {
        let (cluster, id, owner, replica) = Self.submitted(Self.spec("c1"))
        let run = cluster.running[owner]!.first!
        let entry = cluster.entry(awayFrom: owner, replica)
        let request = cluster.control(.cancelTask(id), via: entry)
        cluster.run(for: .milliseconds(200))
        // The owner asked its shell to stop the attempt (which the harness ends 5 ms later).
        #expect(cluster.stopped.contains { $0.node == owner && $0.run == run.run })
        guard case .taskCancelled(let record)? = cluster.replies[request] else {
            Issue.record("no cancel answer: \(String(describing: cluster.replies[request]))"); return
        }
        #expect(record.state == .cancelled && record.history.last?.reason == TaskMachine.cancelReason)
        #expect(cluster.record(id, at: owner)?.state == .cancelled)
        #expect(cluster.record(id, at: replica)?.state == .cancelled)
        #expect(cluster.running[owner]?.isEmpty == true)
    }

    @Test func aQueuedTaskIsCancelledAtOnceAndNeverRuns() {
        // A node alone with one slot, taken by a first task: the second one queues.
        let cluster = TaskCluster(size: 1, profiles: ["shell": 1])
        let owner = 0
        cluster.submit(Self.spec("busy"), via: owner)
        let request = cluster.submit(Self.spec("queued"), via: owner)
        cluster.run(for: .seconds(1))
        let id = cluster.acceptance(request)!.id
        #expect(cluster.record(id, at: owner)?.state == .queued)
        let cancel = cluster.control(.cancelTask(id), via: owner)
        cluster.run(for: .milliseconds(100))
        guard case .taskCancelled(let record)? = cluster.replies[cancel] else { Issue.record("not cancelled"); return }
        #expect(record.state == .cancelled)
        cluster.exitAgent(owner, cluster.running[owner]!.first!.run)
        cluster.run(for: .seconds(2))
        #expect(!cluster.started.contains { $0.run.task == id.description })
        #expect(cluster.record(id, at: owner)?.state == .cancelled)
    }

    @Test func cancellingAFinishedTaskChangesNothingAndSaysItFinished() {
        let (cluster, id, owner, _) = Self.submitted(Self.spec("done"))
        cluster.exitAgent(owner, cluster.running[owner]!.first!.run, .exited(0))
        cluster.run(for: .milliseconds(200))
        for via in 0..<5 {
            let request = cluster.control(.cancelTask(id), via: via)
            cluster.run(for: .milliseconds(200))
            guard case .taskFinished(let record)? = cluster.replies[request] else { Issue.record("via n\(via): \(String(describing: cluster.replies[request]))"); continue }
            #expect(record.state == .succeeded)
        }
        let unknown = cluster.control(.cancelTask(TaskID.idempotent(key: "nobody")), via: 1)
        cluster.run(for: .milliseconds(200))
        guard case .taskNotFound? = cluster.replies[unknown] else { Issue.record("unknown task: \(String(describing: cluster.replies[unknown]))"); return }
    }

    @Test func anAttemptPastItsTimeoutIsStoppedAndTheTaskTimesOutOnBothCopies() {
        let (cluster, id, owner, replica) = Self.submitted(Self.spec("slow", timeout: .seconds(2)))
        let run = cluster.running[owner]!.first!
        #expect(run.timeout == .seconds(2) && run.prompt == "echo hi")
        let deadline = cluster.nodes[owner]!.tasks.runs[run.run]!.deadline!
        cluster.run(for: deadline - cluster.now - .milliseconds(10))
        #expect(!cluster.stopped.contains { $0.run == run.run })
        // The tick (every 0.5 s) notices within one interval of the deadline.
        cluster.run(for: .milliseconds(510))
        #expect(cluster.stopped.contains { $0.node == owner && $0.run == run.run })
        cluster.run(for: .milliseconds(200))
        #expect(cluster.record(id, at: owner)?.state == .timedOut)
        #expect(cluster.record(id, at: replica)?.state == .timedOut)
        #expect(cluster.started.filter { $0.run.task == id.description }.count == 1)
    }

    @Test func anExitZeroWithoutADeclaredOutputFailsNamingItAndArtifactsAreRecordedAndReplicated() {
        let (cluster, id, owner, replica) = Self.submitted(Self.spec("outputs", attempts: 2, expect: ["report.md", "data.json"]))
        let first = cluster.running[owner]!.first!
        #expect(first.expect == ["report.md", "data.json"])
        cluster.exitAgent(owner, first.run, .exited(0), AgentOutputs(artifacts: [Self.artifact("data.json")]))
        cluster.run(for: .milliseconds(100))
        let retrying = cluster.record(id, at: owner)!.history.last!
        #expect(retrying.state == .task(.retrying))
        #expect(retrying.reason == "attempt 1 failed: missing declared outputs: report.md")
        #expect(retrying.artifacts == [Self.artifact("data.json")])
        cluster.run(for: .seconds(2))
        let second = cluster.running[owner]!.first!
        let files = [Self.artifact("data.json"), Self.artifact("report.md")]
        cluster.exitAgent(owner, second.run, .exited(0), AgentOutputs(artifacts: files))
        cluster.run(for: .milliseconds(100))
        for node in [owner, replica] {
            let record = cluster.record(id, at: node)!
            #expect(record.state == .succeeded)
            #expect(record.latestArtifacts?.files == files && record.latestArtifacts?.attempt == 2)
        }
    }

    @Test func aProfileOutputTheShellFoundMissingFailsTooAndAStallRetriesWithItsReason() {
        let (cluster, id, owner, _) = Self.submitted(Self.spec("stall", attempts: 3))
        cluster.exitAgent(owner, cluster.running[owner]!.first!.run, .exited(0), AgentOutputs(missing: ["summary.txt"]))
        cluster.run(for: .milliseconds(100))
        #expect(cluster.record(id, at: owner)!.history.last!.reason == "attempt 1 failed: missing declared outputs: summary.txt")
        cluster.run(for: .seconds(2))
        cluster.exitAgent(owner, cluster.running[owner]!.first!.run, .stalled(silence: .seconds(2)))
        cluster.run(for: .milliseconds(100))
        let event = cluster.record(id, at: owner)!.history.last!
        #expect(event.state == .task(.retrying) && event.reason == "attempt 2 failed: stalled: no output for 2s")
        #expect(cluster.record(id, at: owner)!.progress.failures == 2)
    }

    @Test func aStaleOwnersCancelIsFencedOffByTheTakeoverAndChangesNothing() {
        let (cluster, id, owner, replica) = Self.submitted(Self.spec("fenced"))
        for other in 0..<5 where other != owner {
            cluster.blocked.insert([owner, other]); cluster.blocked.insert([other, owner])
        }
        cluster.run(for: .seconds(20))
        #expect(cluster.record(id, at: replica)?.progress.ownerEpoch == 2)
        // Healed: the old owner still believes it owns the task when the cancel reaches it.
        cluster.blocked.removeAll()
        #expect(cluster.nodes[owner]!.tasks.isOwner(id))
        let request = cluster.control(.cancelTask(id), via: owner)
        cluster.run(for: .seconds(1))
        guard case .refused(let why)? = cluster.replies[request] else {
            Issue.record("stale cancel answered \(String(describing: cluster.replies[request]))"); return
        }
        #expect(why.contains("moved to another owner"))
        #expect(cluster.owner(of: id) == replica)
        #expect(cluster.record(id, at: replica)?.state != .cancelled)
        // Through the new owner, the cancel goes through.
        let again = cluster.control(.cancelTask(id), via: owner)
        cluster.run(for: .seconds(1))
        guard case .taskCancelled? = cluster.replies[again] else { Issue.record("second cancel: \(String(describing: cluster.replies[again]))"); return }
        #expect(cluster.record(id, at: replica)?.state == .cancelled)
    }

    @Test func aCancelWhileTheOwnerIsDownIsRefusedAndTheTaskStaysForTheTakeover() {
        let (cluster, id, owner, replica) = Self.submitted(Self.spec("down"))
        cluster.crash(owner)
        let request = cluster.control(.cancelTask(id), via: replica)
        cluster.run(for: .seconds(6))
        guard case .refused(let why)? = cluster.replies[request] else {
            Issue.record("answered \(String(describing: cluster.replies[request]))"); return
        }
        #expect(why.contains("did not answer"))
        #expect(cluster.record(id, at: replica)?.state.isTerminal == false)
    }

    @Test func aRunCancelledWhileItIsBeingTimedOutEndsCancelled() {
        let (cluster, id, owner, _) = Self.submitted(Self.spec("both", timeout: .seconds(1)))
        let run = cluster.holdRun(on: owner)   // the harness would end it 5 ms after the stop
        cluster.run(for: .seconds(2))
        #expect(cluster.stopped.contains { $0.run == run.run })
        let request = cluster.control(.cancelTask(id), via: owner)
        cluster.run(for: .milliseconds(50))
        #expect(cluster.replies[request] == nil, "no answer before the attempt exited")
        cluster.exitAgent(owner, run.run, .signalled(15))
        cluster.run(for: .milliseconds(100))
        guard case .taskCancelled(let record)? = cluster.replies[request] else { Issue.record("not cancelled"); return }
        #expect(record.state == .cancelled)
    }

    @Test func anOwnerSlowerThanTheStreamDeadlineIsAskedAgainAndTheEntryHearsCancelled() {
        let (cluster, id, owner, replica) = Self.submitted(Self.spec("slowstop"))
        let run = cluster.holdRun(on: owner)
        let request = cluster.control(.cancelTask(id), via: cluster.entry(awayFrom: owner, replica))
        // The attempt takes longer to stop than the stream's deadline (2 s on the LAN settings).
        cluster.run(for: .milliseconds(2_500))
        #expect(cluster.replies[request] == nil, "no answer while the owner is still stopping the attempt")
        cluster.exitAgent(owner, run.run, .signalled(9))
        cluster.run(for: .seconds(1))
        cluster.expectCancelled(request, id, onReplica: replica)
    }
}
