/// Transmit-limited broadcast queue (SWIM §4.1 "infection-style dissemination"; memberlist queue.go).
///
/// Holds at most one update per key, a (kind, subject) pair: a newer membership update about a
/// member replaces the older one, and a capacity record replaces only an older capacity record, so
/// it never pushes out a queued suspect or dead message about the same member. Each packet takes
/// the least-sent updates first, newest first among equals, until the packet is full; an update is
/// dropped after it has been sent its kind's limit of times.
public struct BroadcastQueue: Sendable {
    /// What an update is about: membership (alive, suspect, dead, left) or capacity.
    public enum Kind: UInt8, Sendable, Hashable {
        case membership
        case capacity
    }

    /// The key of an update: its kind and the member it is about.
    public struct Key: Hashable, Sendable {
        public var kind: Kind
        public var subject: String
        public init(_ kind: Kind, _ subject: String) { self.kind = kind; self.subject = subject }
    }

    struct Item: Sendable {
        var key: Key
        var message: Bytes
        var transmits: Int
        var order: UInt64
    }

    /// In no particular order: `fill` and eviction rank by (transmits, order), which is unique.
    private var items: [Item] = []
    /// `rank(items[i])` for every i, kept beside the items so ranking scans plain integers.
    private var ranks: [UInt64] = []
    /// Where each key's item is in `items`, so enqueueing is O(1) however long the queue.
    private var indexByKey: [Key: Int] = [:]
    private var nextOrder: UInt64 = 0
    public let capacity: Int

    public init(capacity: Int) { self.capacity = max(1, capacity) }

    public var count: Int { items.count }
    public var isEmpty: Bool { items.isEmpty }

    /// Queues an encoded message under `key`, replacing any older one with the same key.
    public mutating func enqueue(key: Key, message: Bytes) {
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

    /// Queues a membership update about member `subject`.
    public mutating func enqueue(key subject: String, message: Bytes) {
        enqueue(key: Key(.membership, subject), message: message)
    }

    /// Drops any queued update under `key`.
    public mutating func remove(key: Key) {
        if let i = indexByKey[key] { removeItem(at: i) }
    }

    /// Drops every queued update about `subject`, whatever its kind (a forgotten member).
    public mutating func removeAll(about subject: String) {
        remove(key: Key(.membership, subject))
        remove(key: Key(.capacity, subject))
    }

    /// Queued updates of `kind`.
    public func count(of kind: Kind) -> Int { items.reduce(0) { $0 + ($1.key.kind == kind ? 1 : 0) } }

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
    /// newest first), counts one transmission for each, and retires membership updates sent `limit`
    /// times and capacity records sent `capacityLimit` times (default: `limit`). Returns how many
    /// were added.
    @discardableResult
    public mutating func fill(_ writer: inout ByteWriter, bytesMax: Int, limit: Int, capacityLimit: Int? = nil,
                              messagesMax: Int) -> Int {
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
            let itemLimit = items[i].key.kind == .capacity ? (capacityLimit ?? limit) : limit
            if items[i].transmits >= itemLimit { retired.append(i) }
            if room < 8 { break }
        }
        for i in retired.sorted(by: >) { removeItem(at: i) }
        return added
    }
}
