import MeshCore

/// The core's timers in deadline order (a binary min-heap; equal deadlines in the order they were set).
///
/// Every `setTimer` is kept, even when the same timer is set again: the core ignores firings that
/// no longer matter, so replaying a stale one is harmless and the queue never has to find and
/// remove an entry. One Dispatch timer, armed for `nextDeadline`, drives the whole queue.
struct TimerQueue {
    private struct Entry: Comparable {
        var at: Instant
        var order: UInt64
        var id: TimerID

        static func < (a: Entry, b: Entry) -> Bool { (a.at, a.order) < (b.at, b.order) }
        static func == (a: Entry, b: Entry) -> Bool { a.at == b.at && a.order == b.order }
    }

    private var heap = MinHeap<Entry>()
    private var nextOrder: UInt64 = 0

    var count: Int { heap.count }
    var isEmpty: Bool { heap.isEmpty }

    /// The earliest deadline, if any timer is set.
    var nextDeadline: Instant? { heap.first?.at }

    mutating func schedule(_ id: TimerID, at: Instant) {
        nextOrder += 1
        heap.push(Entry(at: at, order: nextOrder, id: id))
    }

    /// Removes and returns the earliest timer due at `now`, or nil when none is due.
    mutating func popDue(at now: Instant) -> TimerID? {
        guard let first = heap.first, first.at <= now else { return nil }
        return heap.pop()?.id
    }
}
