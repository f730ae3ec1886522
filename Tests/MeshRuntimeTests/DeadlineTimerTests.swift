import Dispatch
import Testing
@testable import MeshRuntime

/// `DeadlineTimer`: a deadline moved later fires at the new time, once; a cleared one never; an
/// earlier one re-arms the timer.
@Suite struct DeadlineTimerTests {
    /// A timer on a queue of its own and when it fired (monotonic nanoseconds).
    final class Probe: @unchecked Sendable {
        let queue = DispatchQueue(label: "deadline-timer-test")
        let fired = DispatchSemaphore(value: 0)
        var firedAt: [Int64] = []
        lazy var timer = DeadlineTimer(queue: queue, leeway: .milliseconds(1)) { [unowned self] in
            firedAt.append(SystemClock.monotonicNanoseconds())
            fired.signal()
        }

        func set(after milliseconds: Int64?) {
            queue.sync { timer.set(milliseconds.map { SystemClock.monotonicNanoseconds() + $0 * 1_000_000 }) }
        }

        func waitForFiring(milliseconds: Int) -> Bool { fired.wait(timeout: .now() + .milliseconds(milliseconds)) == .success }
    }

    @Test func aDeadlineMovedLaterFiresOnceAtTheNewTime() {
        let probe = Probe()
        probe.set(after: 20)
        let due = SystemClock.monotonicNanoseconds() + 120_000_000
        probe.queue.sync { probe.timer.set(due) }
        #expect(probe.waitForFiring(milliseconds: 5_000))
        #expect(!probe.waitForFiring(milliseconds: 100), "it fired twice")
        probe.queue.sync {
            #expect(probe.firedAt.count == 1)
            #expect(probe.firedAt.first.map { $0 >= due } == true, "it fired before its deadline")
        }
    }

    @Test func aClearedDeadlineNeverFires() {
        let probe = Probe()
        probe.set(after: 20)
        probe.set(after: nil)
        #expect(!probe.waitForFiring(milliseconds: 150))
    }

    @Test func anEarlierDeadlineReArmsTheTimer() {
        let probe = Probe()
        probe.set(after: 60_000)
        let start = SystemClock.monotonicNanoseconds()
        probe.queue.sync { probe.timer.setEarlier(start + 20_000_000) }
        #expect(probe.waitForFiring(milliseconds: 5_000))
        probe.queue.sync { probe.timer.setEarlier(start + 90_000_000_000) }   // later than none: sets it
        probe.queue.sync { #expect(probe.timer.due != nil) }
        probe.queue.sync { probe.timer.cancel() }
    }
}
