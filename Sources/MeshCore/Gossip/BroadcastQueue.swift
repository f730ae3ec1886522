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

    /// In no particular order: `fill` and eviction rank by (transmits, order), which is unique.
    private var items: [Item] = []
    /// `rank(items[i])` for every i, kept beside the items so ranking scans plain integers.
    private var ranks: [UInt64] = []
    /// Where each key's item is in `items`, so enqueueing is O(1) however long the queue.
    private var indexByKey: [String: Int] = [:]
    private var nextOrder: UInt64 = 0
    public let capacity: Int

    public init(capacity: Int) { self.capacity = max(1, capacity) }

    public var count: Int { items.count }
    public var isEmpty: Bool { items.isEmpty }

    /// Queues an encoded message about `key` (a member name), replacing any older one about it.
    public mutating func enqueue(key: String, message: Bytes) {
        nextOrder += 1
        let item = Item(key: key, message: message, transmits: 0, order: nextOrder)
        if let i = indexByKey[key] {
            items[i] = item
            ranks[i] = Self.rank(item)
            return
        }
        indexByKey[key] = items.count
        items.append(item)
        ranks.append(Self.rank(item))
        if items.count > capacity {
            // Drop the most-sent (then oldest) update: it has had the most chances already.
            var worst = 0
            for i in ranks.indices where ranks[i] > ranks[worst] { worst = i }
            removeItem(at: worst)
        }
    }

    /// Drops any queued update about `key`.
    public mutating func remove(key: String) {
        if let i = indexByKey[key] { removeItem(at: i) }
    }

    /// Least-sent first, then newest first: one integer, so ranking needs no tuple comparisons.
    /// Orders stay far below 2^48 (one per enqueue).
    private static func rank(_ item: Item) -> UInt64 {
        UInt64(min(item.transmits, 0xFFFF)) << 48 | (0xFFFF_FFFF_FFFF &- (item.order & 0xFFFF_FFFF_FFFF))
    }

    /// Removes the item at `i` by moving the last one into its place.
    private mutating func removeItem(at i: Int) {
        indexByKey.removeValue(forKey: items[i].key)
        let last = items.count - 1
        if i != last {
            items.swapAt(i, last)
            ranks.swapAt(i, last)
            indexByKey[items[i].key] = i
        }
        items.removeLast()
        ranks.removeLast()
    }

    /// Appends to `writer` as many queued messages as fit in `bytesMax` more bytes (least-sent and
    /// newest first), counts one transmission for each, and retires those sent `limit` times.
    /// Returns how many were added.
    @discardableResult
    public mutating func fill(_ writer: inout ByteWriter, bytesMax: Int, limit: Int, messagesMax: Int) -> Int {
        guard !items.isEmpty, bytesMax > 0, messagesMax > 0 else { return 0 }
        let order = ranks.indices.sorted { ranks[$0] < ranks[$1] }
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
            ranks[i] = Self.rank(items[i])
            if items[i].transmits >= limit { retired.append(i) }
            if room < 8 { break }
        }
        for i in retired.sorted(by: >) { removeItem(at: i) }
        return added
    }
}
