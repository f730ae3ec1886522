/// SHA-256 as specified in FIPS 180-4, streaming.
///
/// It runs on every datagram, so it is written for speed: the chaining value and the partial
/// block live inline in the struct (no heap), whole blocks are compressed straight from the
/// caller's memory, and the message schedule sits in a stack buffer. Copying a `SHA256` is
/// cheap and copies the whole state, which is how `HMACSHA256` reuses its precomputed key blocks.
public struct SHA256: Sendable {
    /// The eight working words H0...H7 (FIPS 180-4 §5.3.3 initial value).
    struct State: Sendable {
        var h0: UInt32 = 0x6a09_e667, h1: UInt32 = 0xbb67_ae85, h2: UInt32 = 0x3c6e_f372, h3: UInt32 = 0xa54f_f53a
        var h4: UInt32 = 0x510e_527f, h5: UInt32 = 0x9b05_688c, h6: UInt32 = 0x1f83_d9ab, h7: UInt32 = 0x5be0_cd19
    }

    /// The digest length in bytes.
    public static let byteCount = 32
    /// The block length in bytes.
    public static let blockByteCount = 64

    private var state = State()
    /// The partial block: 64 bytes of inline storage, `pending` of them in use.
    private var block: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    private var pending = 0
    /// Total message length so far, in bytes.
    private var length: UInt64 = 0

    /// A hasher with nothing absorbed yet.
    public init() {}

    /// Absorbs `bytes`. Contiguous collections (arrays, slices) are hashed in place without copying.
    @inlinable public mutating func update(_ bytes: some Collection<UInt8>) {
        withContiguousBytes(bytes) { update($0) }
    }

    /// Absorbs the bytes in `buffer`.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard var source = buffer.baseAddress, buffer.count > 0 else { return }
        var count = buffer.count
        length &+= UInt64(count)
        if pending > 0 {
            let take = Swift.min(64 - pending, count)
            let at = pending
            withUnsafeMutableBytes(of: &block) { ($0.baseAddress! + at).copyMemory(from: source, byteCount: take) }
            pending += take; source += take; count -= take
            guard pending == 64 else { return }
            withUnsafeBytes(of: &block) { SHA256.compress(&state, $0.baseAddress!, blocks: 1) }
            pending = 0
        }
        let whole = count / 64
        if whole > 0 {
            SHA256.compress(&state, source, blocks: whole)
            source += whole * 64; count -= whole * 64
        }
        if count > 0 {
            withUnsafeMutableBytes(of: &block) { $0.baseAddress!.copyMemory(from: source, byteCount: count) }
            pending = count
        }
    }

    /// Pads the message, returns the 32-byte digest and resets the hasher to its initial state.
    public mutating func finalize() -> Bytes {
        Bytes(unsafeUninitializedCapacity: 32) { out, initialized in
            finalize(into: UnsafeMutableRawBufferPointer(out))
            initialized = 32
        }
    }

    /// Writes the digest to the first 32 bytes of `out` (no allocation), then resets the hasher.
    mutating func finalize(into out: UnsafeMutableRawBufferPointer) {
        precondition(out.count >= 32, "SHA256 digest needs 32 bytes")
        let bits = length &<< 3
        let at = pending
        withUnsafeMutableBytes(of: &block) { raw in
            raw[at] = 0x80
            if at + 1 > 56 {
                for i in (at + 1)..<64 { raw[i] = 0 }
                SHA256.compress(&state, raw.baseAddress!, blocks: 1)
                for i in 0..<56 { raw[i] = 0 }
            } else {
                for i in (at + 1)..<56 { raw[i] = 0 }
            }
            raw.storeBytes(of: bits.bigEndian, toByteOffset: 56, as: UInt64.self)
            SHA256.compress(&state, raw.baseAddress!, blocks: 1)
        }
        let s = state
        out.storeBytes(of: s.h0.bigEndian, toByteOffset: 0, as: UInt32.self)
        out.storeBytes(of: s.h1.bigEndian, toByteOffset: 4, as: UInt32.self)
        out.storeBytes(of: s.h2.bigEndian, toByteOffset: 8, as: UInt32.self)
        out.storeBytes(of: s.h3.bigEndian, toByteOffset: 12, as: UInt32.self)
        out.storeBytes(of: s.h4.bigEndian, toByteOffset: 16, as: UInt32.self)
        out.storeBytes(of: s.h5.bigEndian, toByteOffset: 20, as: UInt32.self)
        out.storeBytes(of: s.h6.bigEndian, toByteOffset: 24, as: UInt32.self)
        out.storeBytes(of: s.h7.bigEndian, toByteOffset: 28, as: UInt32.self)
        self = SHA256()
    }

    /// The SHA-256 digest (32 bytes) of `bytes` in one call.
    @inlinable public static func hash(_ bytes: some Collection<UInt8>) -> Bytes {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The round constants K0...K63 (FIPS 180-4 §4.2.2).
    private static let k: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    @inline(__always) private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x &>> n) | (x &<< (32 &- n)) }

    /// One round (FIPS 180-4 §6.2.2 step 3) with the caller rotating the names: adds T1 into `d`
    /// (the new e) and leaves T1 + T2 in `h` (the new a). Ch and Maj use the equivalent
    /// two-operation forms `g ^ (e & (f ^ g))` and `(a & b) | (c & (a | b))`.
    @inline(__always) private static func round(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
                                                _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32, _ kw: UInt32) {
        let t1 = h &+ (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) &+ (g ^ (e & (f ^ g))) &+ kw
        d &+= t1
        h = t1 &+ (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) &+ ((a & b) | (c & (a | b)))
    }

    /// Runs the compression function (FIPS 180-4 §6.2.2) over `blocks` consecutive 64-byte blocks.
    private static func compress(_ state: inout State, _ data: UnsafeRawPointer, blocks: Int) {
        var h0 = state.h0, h1 = state.h1, h2 = state.h2, h3 = state.h3
        var h4 = state.h4, h5 = state.h5, h6 = state.h6, h7 = state.h7
        k.withUnsafeBufferPointer { k in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
                for n in 0..<blocks {
                    let p = data + n * 64
                    for t in 0..<16 { w[t] = p.loadUnaligned(fromByteOffset: t * 4, as: UInt32.self).bigEndian }
                    for t in 16..<64 {
                        let x = w[t - 15], y = w[t - 2]
                        let s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x &>> 3)
                        let s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y &>> 10)
                        w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
                    }
                    var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7
                    // Eight rounds per pass, renaming the variables instead of shifting them.
                    for t in stride(from: 0, to: 64, by: 8) {
                        round(a, b, c, &d, e, f, g, &h, k[t] &+ w[t])
                        round(h, a, b, &c, d, e, f, &g, k[t + 1] &+ w[t + 1])
                        round(g, h, a, &b, c, d, e, &f, k[t + 2] &+ w[t + 2])
                        round(f, g, h, &a, b, c, d, &e, k[t + 3] &+ w[t + 3])
                        round(e, f, g, &h, a, b, c, &d, k[t + 4] &+ w[t + 4])
                        round(d, e, f, &g, h, a, b, &c, k[t + 5] &+ w[t + 5])
                        round(c, d, e, &f, g, h, a, &b, k[t + 6] &+ w[t + 6])
                        round(b, c, d, &e, f, g, h, &a, k[t + 7] &+ w[t + 7])
                    }
                    h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d; h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= h
                }
            }
        }
        state = State(h0: h0, h1: h1, h2: h2, h3: h3, h4: h4, h5: h5, h6: h6, h7: h7)
    }
}

/// Calls `body` with the bytes of `bytes` in contiguous memory: in place for arrays and slices,
/// through a temporary copy otherwise. Inlinable, so callers in other modules get it specialized
/// and the crypto cores below stay non-generic.
@inlinable func withContiguousBytes<R>(_ bytes: some Collection<UInt8>, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    if let result = bytes.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) { return result }
    return Array(bytes).withUnsafeBytes(body)
}
