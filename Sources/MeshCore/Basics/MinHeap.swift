/// A binary min-heap. Both shells order their timers and events with it; ties must be broken by
/// the element's own ordering (for example an insertion counter), so the order never depends on
/// anything but the inputs.
public struct MinHeap<Element: Comparable> {
    @usableFromInline var elements: [Element] = []

    public init() {}

    public var count: Int { elements.count }
    public var isEmpty: Bool { elements.isEmpty }
    /// The smallest element, if any.
    public var first: Element? { elements.first }

    @inlinable
    public mutating func push(_ element: Element) {
        elements.append(element)
        var child = elements.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard elements[child] < elements[parent] else { break }
            elements.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the smallest element.
    @inlinable
    public mutating func pop() -> Element? {
        guard !elements.isEmpty else { return nil }
        let top = elements[0]
        let last = elements.removeLast()
        if !elements.isEmpty {
            elements[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < elements.count else { break }
                var smallest = left
                if left + 1 < elements.count && elements[left + 1] < elements[left] { smallest = left + 1 }
                guard elements[smallest] < elements[parent] else { break }
                elements.swapAt(smallest, parent)
                parent = smallest
            }
        }
        return top
    }
}
