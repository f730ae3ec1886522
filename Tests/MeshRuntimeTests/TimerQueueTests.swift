import MeshCore
@testable import MeshRuntime
import Testing

@Suite("Timer queue")
struct TimerQueueTests {
    @Test("timers come out by deadline, equal deadlines in the order they were set")
    func order() {
        var queue = TimerQueue()
        let at = { (ms: Int64) in Instant(nanoseconds: ms * 1_000_000) }
        let probe = TimerID(.membership(.probe), generation: 1), gossip = TimerID(.membership(.gossip), generation: 2)
        let reap = TimerID(.membership(.reap), generation: 3), join = TimerID(.membership(.join), generation: 4)
        queue.schedule(probe, at: at(30))
        queue.schedule(gossip, at: at(10))
        queue.schedule(reap, at: at(20))
        queue.schedule(join, at: at(10))
        queue.schedule(probe, at: at(5))
        #expect(queue.nextDeadline == at(5))
        #expect(queue.popDue(at: at(4)) == nil)
        var fired: [TimerID] = []
        while let id = queue.popDue(at: at(25)) { fired.append(id) }
        #expect(fired == [probe, gossip, join, reap])
        #expect(queue.nextDeadline == at(30))
        #expect(queue.popDue(at: at(30)) == probe)
        #expect(queue.isEmpty)
    }

    @Test("many random deadlines come out sorted")
    func heapProperty() {
        var queue = TimerQueue()
        var generator = SeededGenerator(seed: 7)
        var deadlines: [Int64] = []
        for i in 0..<500 {
            let ns = Int64(generator.below(10_000))
            deadlines.append(ns)
            queue.schedule(TimerID(.membership(.probeTimeout(UInt32(i))), generation: UInt64(i)), at: Instant(nanoseconds: ns))
        }
        // Each popped timer must be the one due first: its own deadline, in sorted order, all 500.
        var popped: [Int64] = []
        while let next = queue.nextDeadline, let id = queue.popDue(at: Instant(nanoseconds: 10_000)) {
            guard case .membership(.probeTimeout(let index)) = id.purpose else {
                Issue.record("unexpected timer \(id)")
                return
            }
            #expect(deadlines[Int(index)] == next.nanoseconds, "timer \(index) came out at its own deadline")
            popped.append(deadlines[Int(index)])
        }
        #expect(popped == deadlines.sorted())
        #expect(queue.isEmpty)
    }
}
