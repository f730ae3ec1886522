/// The placement hash: fixed and documented, so every node (and every version of the mesh) maps
/// the same placement key to the same point on the ring. Never Swift's `Hasher`, which is seeded
/// per process.
///
/// The algorithm, exactly:
/// 1. **FNV-1a 64** over the UTF-8 bytes of the string: start from the offset basis
///    `0xCBF2_9CE4_8422_2325`; for each byte `b`, `h = (h XOR b) &* 0x0000_0100_0000_01B3`.
/// 2. **SplitMix64 finaliser** (`mix`), because FNV-1a mixes its high bits poorly for short keys:
///    `z = (z XOR (z >> 30)) &* 0xBF58_476D_1CE4_E5B9`; `z = (z XOR (z >> 27)) &* 0x94D0_49BB_1331_11EB`;
///    `z XOR (z >> 31)`.
///
/// - A placement key hashes to `keyHash(key) = mix(fnv1a64(key))`.
/// - Member `name`'s virtual point `k` (k = 0, 1, …) is `mix(fnv1a64(name) &+ (k + 1) &* γ)` with
///   γ = `0x9E37_79B9_7F4A_7C15`: the first outputs of SplitMix64 seeded with the name's FNV-1a.
///
/// Golden vectors are pinned in `PlacementHashTests`; changing any of this is a wire-level change
/// (nodes of different versions would disagree on owners) and needs a new placement version.
public enum PlacementHash {
    /// FNV-1a 64 offset basis.
    public static let fnvOffsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    /// FNV-1a 64 prime.
    public static let fnvPrime: UInt64 = 0x0000_0100_0000_01B3
    /// SplitMix64's increment (the golden ratio in 64-bit fixed point).
    public static let golden: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// FNV-1a 64 of the UTF-8 bytes of `text`.
    @inlinable
    public static func fnv1a64(_ text: String) -> UInt64 {
        var hash = fnvOffsetBasis
        for byte in text.utf8 {
            hash = (hash ^ UInt64(byte)) &* fnvPrime
        }
        return hash
    }

    /// The SplitMix64 finaliser: a bijection on `UInt64` with full avalanche.
    @inlinable
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Where a placement key (affinity key, else task id) lands on the ring.
    @inlinable
    public static func keyHash(_ key: String) -> UInt64 {
        mix(fnv1a64(key))
    }

    /// Virtual point `index` (0-based) of the member whose name hashes to `nameHash = fnv1a64(name)`.
    @inlinable
    public static func point(nameHash: UInt64, index: Int) -> UInt64 {
        mix(nameHash &+ (UInt64(truncatingIfNeeded: index) &+ 1) &* golden)
    }

    /// Virtual point `index` (0-based) of member `name`.
    public static func point(name: String, index: Int) -> UInt64 {
        point(nameHash: fnv1a64(name), index: index)
    }
}
