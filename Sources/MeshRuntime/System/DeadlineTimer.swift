import Dispatch

/// One Dispatch timer for a deadline that moves often (a kept-alive connection's, moved at every
/// request; a link's idle limit, set and cleared at every exchange).
///
/// Re-scheduling a Dispatch timer wakes Dispatch's timer thread, so doing it per message costs a
/// thread wake-up per message. Here, moving the deadline later (or clearing it) only writes a
/// field: the timer fires at the time it was armed for, finds the deadline moved, and arms itself
/// once for the rest. Only a deadline earlier than the armed time re-schedules the timer.
/// Confined to `queue`, like its owner.
final class DeadlineTimer: @unchecked Sendable {
    private let queue: DispatchQueue
    private let leeway: DispatchTimeInterval
    private let fired: () -> Void
    private var source: DispatchSourceTimer?
    /// When the owner's deadline is (monotonic nanoseconds); nil: none.
    private(set) var due: Int64?
    /// When the Dispatch timer is armed to fire (monotonic nanoseconds); nil: not armed.
    private var armedAt: Int64?

    /// `fired` runs on `queue` once the deadline has passed (it is then cleared).
    init(queue: DispatchQueue, leeway: DispatchTimeInterval = .milliseconds(5), fired: @escaping () -> Void) {
        self.queue = queue
        self.leeway = leeway
        self.fired = fired
    }

    deinit { source?.cancel() }

    /// Sets the deadline to `due` (monotonic nanoseconds), or clears it with nil.
    func set(_ due: Int64?) {
        self.due = due
        guard let due else { return }
        if let armedAt, armedAt <= due { return }
        arm(at: due)
    }

    /// Moves the deadline to `due` only when that is earlier than the one set (or none is).
    func setEarlier(_ due: Int64) {
        if let current = self.due, current <= due { return }
        set(due)
    }

    /// Stops the timer for good.
    func cancel() {
        due = nil
        armedAt = nil
        source?.cancel()
        source = nil
    }

    private func arm(at instant: Int64) {
        let source = self.source ?? makeSource()
        armedAt = instant
        let delay = max(0, instant &- SystemClock.monotonicNanoseconds())
        source.schedule(deadline: .now() + .nanoseconds(Int(clamping: delay)), leeway: leeway)
    }

    private func makeSource() -> DispatchSourceTimer {
        let source = DispatchSource.makeTimerSource(queue: queue)
        source.setEventHandler { [weak self] in self?.timerFired() }
        self.source = source
        source.resume()
        return source
    }

    private func timerFired() {
        armedAt = nil
        guard let due else { return }
        if due > SystemClock.monotonicNanoseconds() { return arm(at: due) }
        self.due = nil
        fired()
    }
}
