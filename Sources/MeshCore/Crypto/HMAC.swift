/// HMAC-SHA-256 (RFC 2104) under one fixed key.
///
/// The key-dependent first blocks, H(K ⊕ ipad) and H(K ⊕ opad), are absorbed once at init and
/// kept as hasher states, so each tag costs only the message blocks plus one outer block.
/// Messages may be given in pieces (a header slice and a payload slice) and are never concatenated.
public struct HMACSHA256: Sendable {
    /// The hasher after absorbing K ⊕ ipad.
    private let inner: SHA256
    /// The hasher after absorbing K ⊕ opad.
    private let outer: SHA256

    /// Prepares the MAC for `key`; keys longer than 64 bytes are hashed first, as RFC 2104 says.
    public init(key: Bytes) {
        var block = key.count > SHA256.blockByteCount ? SHA256.hash(key) : key
        block += Bytes(repeating: 0, count: SHA256.blockByteCount - block.count)
        var inner = SHA256(), outer = SHA256()
        inner.update(block.map { $0 ^ 0x36 })
        outer.update(block.map { $0 ^ 0x5c })
        self.inner = inner
        self.outer = outer
    }

    /// The 32-byte tag of `message`.
    @inlinable public func tag(_ message: some Collection<UInt8>) -> Bytes {
        tag(message, EmptyCollection())
    }

    /// The 32-byte tag of `first` followed by `second`, without concatenating them.
    @inlinable public func tag(_ first: some Collection<UInt8>, _ second: some Collection<UInt8>) -> Bytes {
        withContiguousBytes(first) { first in
            withContiguousBytes(second) { second in
                Bytes(unsafeUninitializedCapacity: SHA256.byteCount) { out, initialized in
                    mac(first, second, into: UnsafeMutableRawBufferPointer(out))
                    initialized = SHA256.byteCount
                }
            }
        }
    }

    /// The 32-byte tag of the concatenation of `parts`, without concatenating them.
    @inlinable public func authenticate(_ parts: [some Collection<UInt8>]) -> Bytes {
        var hasher = start()
        for part in parts { hasher.update(part) }
        return Bytes(unsafeUninitializedCapacity: SHA256.byteCount) { out, initialized in
            finish(hasher, into: UnsafeMutableRawBufferPointer(out))
            initialized = SHA256.byteCount
        }
    }

    /// Writes the 32-byte tag of `first || second` to `out`. Non-generic and allocation-free:
    /// the generic entry points above funnel into it.
    @usableFromInline func mac(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer,
                               into out: UnsafeMutableRawBufferPointer) {
        var hasher = inner
        hasher.update(first)
        hasher.update(second)
        finish(hasher, into: out)
    }

    /// A copy of the hasher that has absorbed K ⊕ ipad, ready for the message.
    @usableFromInline func start() -> SHA256 { inner }

    /// Completes the inner hash, then hashes it under the outer state: one more block.
    @usableFromInline func finish(_ inner: SHA256, into out: UnsafeMutableRawBufferPointer) {
        var inner = inner, outer = outer
        var digest: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &digest) { raw in
            inner.finalize(into: raw)
            outer.update(UnsafeRawBufferPointer(raw))
        }
        outer.finalize(into: out)
    }

    /// Whether `a` and `b` hold the same bytes, taking time that depends only on their lengths
    /// (lengths are public; contents are not), so a forger learns nothing from how long a check took.
    @inlinable public static func constantTimeEquals(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        withContiguousBytes(a) { a in withContiguousBytes(b) { b in constantTimeEquals(a, b) } }
    }

    /// The non-generic comparison behind `constantTimeEquals`.
    @usableFromInline static func constantTimeEquals(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<a.count { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
