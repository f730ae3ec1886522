import MeshCore

/// Randomness for the shell: nonces, key generation and the core's seed. `SystemRandomNumberGenerator`
/// reads the kernel's generator (getrandom), so it is fit for keys; the core never uses it.
public enum SecureRandom {
    /// `count` random bytes.
    public static func bytes(_ count: Int) -> Bytes {
        var generator = SystemRandomNumberGenerator()
        var result = Bytes()
        result.reserveCapacity(count + 8)
        while result.count < count {
            let word = generator.next()
            for shift in stride(from: 0, to: 64, by: 8) { result.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return Array(result.prefix(count))
    }

    /// One random 64-bit value.
    public static func seed() -> UInt64 {
        var generator = SystemRandomNumberGenerator()
        return generator.next()
    }
}
