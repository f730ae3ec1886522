import MeshCore

/// The core's timers in deadline order (a binary min-heap; equal deadlines in the order they were set).
///
/// Every `setTimer` is kept, even when the same timer is set again: the core ignores firings that
/// no longer matter, so replaying a stale one is harmless and the queue never has to find and
/// remove an entry. One Dispatch timer, armed for `nextDeadline`, drives the whole queue.
struct TimerQueue {
    private struct Entry {
        var at: Instant
        var order: UInt64
        var id: TimerID

        func isBefore(_ other: Entry) -> Bool { (at, order) < (other.at, other.order) }
    }

    private var heap: [Entry] = []
    private var nextOrder: UInt64 = 0

    var count: Int { heap.count }
    var isEmpty: Bool { heap.isEmpty }

    /// The earliest deadline, if any timer is set.
    var nextDeadline: Instant? { heap.first?.at }

    mutating func schedule(_ id: TimerID, at: Instant) {
        nextOrder += 1
        heap.append(Entry(at: at, order: nextOrder, id: id))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].isBefore(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest timer due at `now`, or nil when none is due.
    mutating func popDue(at now: Instant) -> TimerID? {
        guard let first = heap.first, first.at <= now else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < heap.count && heap[left].isBefore(heap[smallest]) { smallest = left }
                if right < heap.count && heap[right].isBefore(heap[smallest]) { smallest = right }
                if smallest == parent { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first.id
    }
}
