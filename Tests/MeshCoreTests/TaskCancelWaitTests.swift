import Testing
@testable import MeshCore

/// A cancel whose attempt takes long to stop (issue 10 §5, the README's former gap): the owner
/// answers `cancelling` at once, the entry asks again and waits for `cancelled` through stream
/// deadlines, up to the stop the owner announced (from the profile's grace); past its own limit
/// it answers `taskCancelling`, never 503 for a cancel that is under way.
struct TaskCancelWaitTests {
    static func cluster(grace: Nanoseconds) -> (TaskCluster, TaskID, owner: Int, replica: Int, run: AgentRun) {
        var settings = TaskSettings()
        settings.cancelGraces = ["shell": grace]
        let cluster = TaskCluster(size: 5, taskSettings: settings)
        let request = cluster.submit(TaskControlTests.spec("long-grace"), via: 0)
        cluster.run(for: .seconds(1))
        let id = cluster.acceptance(request)!.id
        let owner = cluster.owner(of: id)!
        let replica = cluster.names.firstIndex(of: cluster.nodes[owner]!.tasks.owned[id]!.replica!)!
        let run = cluster.running[owner]!.first!
        cluster.running[owner] = []   // the test decides when the stopped attempt exits
        return (cluster, id, owner, replica, run)
    }

    @Test func aStopLongerThanTheOldRequestDeadlineStillAnswersCancelled() {
        let (cluster, id, owner, replica, run) = Self.cluster(grace: .seconds(5))
        let entry = (0..<5).first { $0 != owner && $0 != replica }!
        let request = cluster.control(.cancelTask(id), via: entry)
        cluster.run(for: .milliseconds(100))
        #expect(cluster.stopped.contains { $0.node == owner && $0.run == run.run })
        // Past the stream deadline (2 s) several times and past the old 5-s request deadline.
        cluster.run(for: .milliseconds(6_500))
        #expect(cluster.replies[request] == nil, "no answer while the attempt stops: \(String(describing: cluster.replies[request]))")
        cluster.exitAgent(owner, run.run, .signalled(9))
        cluster.run(for: .milliseconds(300))
        guard case .taskCancelled(let record)? = cluster.replies[request] else {
            Issue.record("answered \(String(describing: cluster.replies[request]))"); return
        }
        #expect(record.state == .cancelled && cluster.record(id, at: replica)?.state == .cancelled)
    }

    @Test func aStopLongerThanTheAnswerLimitAnswersCancellingThenCompletes() {
        let (cluster, id, owner, replica, run) = Self.cluster(grace: .seconds(20))
        let entry = (0..<5).first { $0 != owner && $0 != replica }!
        let request = cluster.control(.cancelTask(id), via: entry)
        cluster.run(for: .milliseconds(7_900))
        #expect(cluster.replies[request] == nil)
        cluster.run(for: .milliseconds(700))   // the limit is 8 s after the request, seen on the next tick
        guard case .taskCancelling(let record, let within)? = cluster.replies[request] else {
            Issue.record("answered \(String(describing: cluster.replies[request]))"); return
        }
        #expect(record.state == .running)
        #expect(within > .seconds(10) && within <= .seconds(22), "\(within)")
        cluster.exitAgent(owner, run.run, .signalled(9))
        cluster.run(for: .milliseconds(300))
        #expect(cluster.record(id, at: owner)?.state == .cancelled && cluster.record(id, at: replica)?.state == .cancelled)
        // Asked again later, the entry says it is cancelled (its outcome), not refused.
        let again = cluster.control(.cancelTask(id), via: entry)
        cluster.run(for: .milliseconds(300))
        guard case .taskFinished(let done)? = cluster.replies[again] else { Issue.record("\(String(describing: cluster.replies[again]))"); return }
        #expect(done.state == .cancelled)
    }

    @Test func theOwnerAsEntryWaitsTheSameWayAndTwoCancelsShareTheOutcome() {
        let (cluster, id, owner, replica, run) = Self.cluster(grace: .seconds(4))
        let first = cluster.control(.cancelTask(id), via: owner)
        let second = cluster.control(.cancelTask(id), via: replica)
        cluster.run(for: .milliseconds(4_500))
        #expect(cluster.replies[first] == nil && cluster.replies[second] == nil)
        #expect(cluster.stopped.filter { $0.run == run.run }.count == 1, "one stop for two cancels")
        cluster.exitAgent(owner, run.run, .signalled(15))
        cluster.run(for: .milliseconds(300))
        for request in [first, second] {
            guard case .taskCancelled(let record)? = cluster.replies[request] else {
                Issue.record("answered \(String(describing: cluster.replies[request]))"); continue
            }
            #expect(record.state == .cancelled)
        }
    }
}
