/// A cluster key: 32 random bytes, written as one base64 line of 44 characters.
public struct MeshKey: Sendable, Equatable {
    /// The key length in bytes.
    public static let byteCount = 32

    /// The raw key, exactly 32 bytes.
    public let bytes: Bytes

    /// The key with these bytes, or nil unless there are exactly 32 of them.
    public init?(bytes: Bytes) {
        guard bytes.count == MeshKey.byteCount else { return nil }
        self.bytes = bytes
    }

    /// Parses one key line; surrounding whitespace is ignored. Errors name line 1.
    public init(parsing line: String) throws(KeyError) {
        try self.init(parsing: line, lineNumber: 1)
    }

    /// Parses one key line, naming `lineNumber` in any error.
    init(parsing line: String, lineNumber: Int) throws(KeyError) {
        guard let decoded = Base64.decode(String(trimmed(line))) else { throw .notBase64(line: lineNumber) }
        guard let key = MeshKey(bytes: decoded) else { throw .wrongLength(line: lineNumber, bytes: decoded.count) }
        self = key
    }

    /// The key as its one-line base64 text.
    public var base64: String { Base64.encode(bytes) }

    /// A fresh key drawn from `generator`. The core has no randomness of its own, so the caller
    /// brings it; for a real cluster key that must be a cryptographically secure generator
    /// (e.g. `SystemRandomNumberGenerator`), never a seeded one.
    public static func make(from generator: inout some RandomNumberGenerator) -> MeshKey {
        var bytes = Bytes()
        bytes.reserveCapacity(byteCount)
        for _ in 0..<(byteCount / 8) {
            let word = generator.next()
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return MeshKey(bytes: bytes)!
    }
}

/// Why a key or key file was refused; `description` is one line fit for an operator.
public enum KeyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The line is not canonical padded base64.
    case notBase64(line: Int)
    /// The line decodes, but not to 32 bytes.
    case wrongLength(line: Int, bytes: Int)
    /// The file holds no key lines.
    case noKeys
    /// The file holds more than `KeyFile.keysMax` keys.
    case tooManyKeys(count: Int)
    /// The key on `line` repeats the one on `firstLine`.
    case duplicate(line: Int, firstLine: Int)

    /// The one-line message.
    public var description: String {
        switch self {
        case .notBase64(let line): "line \(line): not base64"
        case .wrongLength(let line, let bytes): "line \(line): a key is \(MeshKey.byteCount) bytes, this one is \(bytes)"
        case .noKeys: "no keys in the key file"
        case .tooManyKeys(let count): "\(count) keys in the key file, at most \(KeyFile.keysMax) are allowed"
        case .duplicate(let line, let firstLine): "line \(line): the same key as line \(firstLine)"
        }
    }
}

/// The key file: one base64 key per line, primary first, then older keys still accepted.
public enum KeyFile {
    /// The most keys a file may hold; each extra key costs one more MAC per rejected datagram.
    public static let keysMax = 16

    /// The keys in `text`, primary first. Blank lines and lines starting with `#` are skipped;
    /// surrounding whitespace is trimmed. At least one key, at most `keysMax`, no repeats.
    public static func parse(_ text: String) throws(KeyError) -> [MeshKey] {
        var keys: [MeshKey] = []
        var lines: [Int] = []
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = trimmed(raw)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let key = try MeshKey(parsing: String(line), lineNumber: index + 1)
            if let earlier = keys.firstIndex(of: key) { throw .duplicate(line: index + 1, firstLine: lines[earlier]) }
            keys.append(key)
            lines.append(index + 1)
        }
        guard !keys.isEmpty else { throw .noKeys }
        guard keys.count <= keysMax else { throw .tooManyKeys(count: keys.count) }
        return keys
    }
}

/// The cluster's keys: tags are made under the primary, and accepted under any key, so a new key
/// can be rolled out (added second, then promoted) without a flag day.
public struct Keyring: Sendable {
    /// Bytes of tag on the wire: HMAC-SHA-256 truncated to its leftmost 128 bits (RFC 2104 §5,
    /// as in RFC 4231 §4.7), half the size at ample strength against forgery.
    public static let tagBytes = 16

    /// The keys, primary first.
    public let keys: [MeshKey]
    /// One prepared MAC per key, in the same order.
    private let macs: [HMACSHA256]

    /// A keyring over `keys`, which must not be empty; the first is the primary.
    public init(keys: [MeshKey]) {
        precondition(!keys.isEmpty, "a keyring needs at least one key")
        self.keys = keys
        macs = keys.map { HMACSHA256(key: $0.bytes) }
    }

    /// The key new tags are made under.
    public var primary: MeshKey { keys[0] }

    /// The 16-byte tag of `first || second` under the primary key.
    @inlinable public func tag(_ first: some Collection<UInt8>, _ second: some Collection<UInt8>) -> Bytes {
        withContiguousBytes(first) { first in withContiguousBytes(second) { second in tag(first, second) } }
    }

    /// Whether `tag` is the tag of `first || second` under any key of the ring, compared in
    /// constant time per key. A tag of the wrong length never verifies.
    @inlinable public func verify(tag: some Collection<UInt8>, _ first: some Collection<UInt8>, _ second: some Collection<UInt8>) -> Bool {
        withContiguousBytes(tag) { tag in
            withContiguousBytes(first) { first in withContiguousBytes(second) { second in verify(tag: tag, first, second) } }
        }
    }

    /// The non-generic core of `tag`.
    @usableFromInline func tag(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) -> Bytes {
        Bytes(unsafeUninitializedCapacity: Keyring.tagBytes) { out, initialized in
            var full: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            withUnsafeMutableBytes(of: &full) { raw in
                macs[0].mac(first, second, into: raw)
                UnsafeMutableRawPointer(out.baseAddress!).copyMemory(from: raw.baseAddress!, byteCount: Keyring.tagBytes)
            }
            initialized = Keyring.tagBytes
        }
    }

    /// The non-generic core of `verify`; allocation-free.
    @usableFromInline func verify(tag: UnsafeRawBufferPointer, _ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) -> Bool {
        guard tag.count == Keyring.tagBytes else { return false }
        var full: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &full) { raw in
            for mac in macs {
                mac.mac(first, second, into: raw)
                if HMACSHA256.constantTimeEquals(UnsafeRawBufferPointer(rebasing: raw[..<Keyring.tagBytes]), tag) { return true }
            }
            return false
        }
    }
}

/// `text` without leading and trailing whitespace.
private func trimmed(_ text: some StringProtocol) -> Substring {
    let s = Substring(text)
    guard let start = s.firstIndex(where: { !$0.isWhitespace }) else { return "" }
    let end = s.lastIndex(where: { !$0.isWhitespace })!
    return s[start...end]
}
