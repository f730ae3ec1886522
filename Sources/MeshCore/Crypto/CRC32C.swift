/// CRC-32C (Castagnoli), the checksum of iSCSI (RFC 3720 §12.1, test vectors in appendix B.4),
/// ext4 metadata and many write-ahead logs.
///
/// Reflected polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF. It detects every burst
/// error of up to 32 bits and every error of up to 3 bits in messages under 2^31 bits (Koopman's
/// Hamming-distance tables), which covers a torn or bit-rotted log record. It is not a MAC: it
/// guards against accidents, never against an attacker.
///
/// Streaming: `update` any number of times, then read `value`; the parts of a message are never
/// concatenated.
public struct CRC32C: Sendable {
    /// The register between updates (not yet inverted by the final XOR).
    private var register: UInt32 = 0xFFFF_FFFF

    /// A checksum of nothing absorbed yet.
    public init() {}

    /// The checksum of everything absorbed so far; absorbing more afterwards is allowed.
    public var value: UInt32 { register ^ 0xFFFF_FFFF }

    /// Absorbs `bytes`. Contiguous collections (arrays, slices) are read in place without copying.
    public mutating func update(_ bytes: some Collection<UInt8>) {
        withContiguousBytes(bytes) { buffer in
            var crc = register
            CRC32C.table.withUnsafeBufferPointer { table in
                for byte in buffer {
                    crc = table[Int(UInt8(truncatingIfNeeded: crc) ^ byte)] ^ (crc >> 8)
                }
            }
            register = crc
        }
    }

    /// The CRC-32C of `bytes`.
    public static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
        var crc = CRC32C()
        crc.update(bytes)
        return crc.value
    }

    /// The byte-at-a-time lookup table: entry i is the register after shifting byte i through
    /// eight rounds of the reflected polynomial.
    private static let table: [UInt32] = (0..<256).map { index in
        var entry = UInt32(index)
        for _ in 0..<8 { entry = entry & 1 == 1 ? (entry >> 1) ^ 0x82F6_3B78 : entry >> 1 }
        return entry
    }
}
