/// A task's identity: 16 bytes, printed as 32 lowercase hex digits.
///
/// Two ways to make one, both a fixed, documented hash (SHA-256, first 16 bytes) over a domain prefix,
/// so an id never depends on the process, the hasher seed or the platform:
/// - `idempotent(key:)`: `SHA-256("agentmesh/task-id/key/v1\0" ‖ key)`. Every node derives the same
///   id from the same idempotency key, so a retried submission lands on the same task.
/// - `TaskIDGenerator`: `SHA-256("agentmesh/task-id/node/v2\0" ‖ salt length (u8) ‖ salt ‖ node name ‖
///   "\0" ‖ incarnation (u64 BE) ‖ sequence (u64 BE))`. A node's name is unique in the mesh, and the
///   incarnation it boots with is above every one it persisted in earlier lives (ARCHITECTURE §4),
///   so (name, boot incarnation, sequence) never repeats across restarts or nodes. The salt is
///   random per data directory (chosen at its first start and kept there), so a node started again
///   on a fresh directory under the same name (incarnation 1 again) makes other ids too. The two
///   domains never produce the same input.
public struct TaskID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The first 8 bytes, big-endian, and the last 8. Two words rather than a byte array: an id is
    /// a key of every task table and sorted on every pass, so comparing, hashing and copying it
    /// must cost no allocation or reference count. Ordering `(high, low)` is the bytes' order.
    let high: UInt64
    let low: UInt64
    /// Bytes in an id.
    public static let byteCount = 16

    /// An id of exactly `byteCount` bytes; nil otherwise.
    public init?(bytes: Bytes) {
        guard bytes.count == Self.byteCount else { return nil }
        var high: UInt64 = 0, low: UInt64 = 0
        for index in 0..<8 { high = high << 8 | UInt64(bytes[index]) }
        for index in 8..<16 { low = low << 8 | UInt64(bytes[index]) }
        self.high = high
        self.low = low
    }

    /// The id's bytes.
    public var bytes: Bytes {
        var bytes = Bytes()
        bytes.reserveCapacity(Self.byteCount)
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: high >> UInt64(shift))) }
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: low >> UInt64(shift))) }
        return bytes
    }

    /// The id that idempotency key `key` always stands for.
    public static func idempotent(key: String) -> TaskID {
        derive(domain: "agentmesh/task-id/key/v1", Array(key.utf8))
    }

    /// Parses the 32-hex-digit text form (lowercase or uppercase); nil for anything else.
    public init?(_ text: String) {
        let digits = Array(text.utf8)
        guard digits.count == 2 * Self.byteCount else { return nil }
        var bytes = Bytes()
        bytes.reserveCapacity(Self.byteCount)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = Self.hexValue(digits[index]), let low = Self.hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self.init(bytes: bytes)
    }

    /// 32 lowercase hex digits.
    public var description: String {
        let digits = Array("0123456789abcdef".utf8)
        var text = Bytes()
        for byte in bytes { text.append(digits[Int(byte >> 4)]); text.append(digits[Int(byte & 0xF)]) }
        return String(decoding: text, as: UTF8.self)
    }

    public static func < (lhs: TaskID, rhs: TaskID) -> Bool {
        lhs.high != rhs.high ? lhs.high < rhs.high : lhs.low < rhs.low
    }

    static func derive(domain: String, _ input: Bytes) -> TaskID {
        var hash = SHA256()
        hash.update(Array(domain.utf8) + [0])
        hash.update(input)
        return TaskID(bytes: Array(hash.finalize().prefix(byteCount)))!
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Makes the ids of tasks submitted without an idempotency key on one node in one life (see `TaskID`).
/// Make it after `start`, with the incarnation `start` chose: membership persists that one before
/// any other directive, and every later life starts above it, so no two lives share one.
public struct TaskIDGenerator: Sendable {
    /// The node's name.
    public let node: String
    /// The incarnation the node booted with in this life (never one a previous life used).
    public let incarnation: UInt64
    /// The node's data directory's salt (at most `saltBytesMax` bytes; longer is cut).
    public let salt: Bytes
    /// How many ids this generator has made.
    public private(set) var sequence: UInt64 = 0
    /// The longest salt: 16 random bytes is plenty; the length is written as one byte.
    public static let saltBytesMax = 32

    /// A generator for node `node` booted at `incarnation`, salted with its data directory's `salt`.
    public init(node: String, incarnation: UInt64, salt: Bytes = []) {
        self.node = node
        self.incarnation = incarnation
        self.salt = Array(salt.prefix(Self.saltBytesMax))
    }

    /// The next id: never one this or any other node made before.
    public mutating func next() -> TaskID {
        var writer = ByteWriter(capacity: salt.count + node.utf8.count + 18)
        writer.u8(UInt8(salt.count))
        writer.raw(salt)
        writer.raw(node.utf8)
        writer.u8(0)
        writer.u64(incarnation)
        writer.u64(sequence)
        sequence &+= 1
        return TaskID.derive(domain: "agentmesh/task-id/node/v2", writer.bytes)
    }
}
