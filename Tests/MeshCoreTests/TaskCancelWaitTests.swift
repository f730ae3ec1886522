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
        let (cluster, id, owner, replica) = TaskControlTests.submitted(TaskControlTests.spec("long-grace"), taskSettings: settings)
        return (cluster, id, owner, replica, cluster.holdRun(on: owner))
    }

    @Test func aStopLongerThanTheOldRequestDeadlineStillAnswersCancelled() {
        let (cluster, id, owner, replica, run) = Self.cluster(grace: .seconds(5))
        let request = cluster.control(.cancelTask(id), via: cluster.entry(awayFrom: owner, replica))
        cluster.run(for: .milliseconds(100))
        #expect(cluster.stopped.contains { $0.node == owner && $0.run == run.run })
        // Past the stream deadline (2 s) several times and past the old 5-s request deadline.
        cluster.run(for: .milliseconds(6_500))
        #expect(cluster.replies[request] == nil, "no answer while the attempt stops: \(String(describing: cluster.replies[request]))")
        cluster.exitAgent(owner, run.run, .signalled(9))
        cluster.run(for: .milliseconds(300))
        cluster.expectCancelled(request, id, onReplica: replica)
    }

    @Test func aStopLongerThanTheAnswerLimitAnswersCancellingThenCompletes() {
        let (cluster, id, owner, replica, run) = Self.cluster(grace: .seconds(20))
        let entry = cluster.entry(awayFrom: owner, replica)
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
