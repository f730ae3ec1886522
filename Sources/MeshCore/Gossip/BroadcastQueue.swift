/// Transmit-limited broadcast queue (SWIM §4.1 "infection-style dissemination"; memberlist queue.go).
///
/// Holds at most one update per member (a newer update about a member replaces the older one).
/// Each packet takes the least-sent updates first, newest first among equals, until the packet is
/// full; an update is dropped after it has been sent `limit` times.
public struct BroadcastQueue: Sendable {
    struct Item: Sendable {
        var key: String
        var message: Bytes
        var transmits: Int
        var order: UInt64
    }

    private var items: [Item] = []
    private var nextOrder: UInt64 = 0
    public let capacity: Int

    public init(capacity: Int) { self.capacity = max(1, capacity) }

    public var count: Int { items.count }
    public var isEmpty: Bool { items.isEmpty }

    /// Queues an encoded message about `key` (a member name), replacing any older one about it.
    public mutating func enqueue(key: String, message: Bytes) {
        nextOrder += 1
        if let i = items.firstIndex(where: { $0.key == key }) {
            items[i] = Item(key: key, message: message, transmits: 0, order: nextOrder)
            return
        }
        items.append(Item(key: key, message: message, transmits: 0, order: nextOrder))
        if items.count > capacity {
            // Drop the most-sent (then oldest) update: it has had the most chances already.
            var worst = 0
            for i in items.indices where (items[i].transmits, -Int64(items[i].order))
                > (items[worst].transmits, -Int64(items[worst].order)) { worst = i }
            items.remove(at: worst)
        }
    }

    /// Drops any queued update about `key`.
    public mutating func remove(key: String) {
        items.removeAll { $0.key == key }
    }

    /// Appends to `writer` as many queued messages as fit in `bytesMax` more bytes (least-sent and
    /// newest first), counts one transmission for each, and retires those sent `limit` times.
    /// Returns how many were added.
    @discardableResult
    public mutating func fill(_ writer: inout ByteWriter, bytesMax: Int, limit: Int, messagesMax: Int) -> Int {
        guard !items.isEmpty, bytesMax > 0, messagesMax > 0 else { return 0 }
        let order = items.indices.sorted { a, b in
            (items[a].transmits, items[b].order) < (items[b].transmits, items[a].order)
        }
        var room = bytesMax
        var added = 0
        var retired: [Int] = []
        for i in order {
            guard added < messagesMax else { break }
            let size = items[i].message.count
            guard size <= room else { continue }
            writer.raw(items[i].message)
            room -= size
            added += 1
            items[i].transmits += 1
            if items[i].transmits >= limit { retired.append(i) }
            if room < 8 { break }
        }
        for i in retired.sorted(by: >) { items.remove(at: i) }
        return added
    }
}
