import Testing
@testable import MeshCore

/// The placement hash is protocol: these outputs must never change (nodes of different versions
/// would disagree on owners). Vectors were computed independently (Python, the algorithm in the
/// `PlacementHash` doc comment); the FNV-1a ones are the published FNV test vectors.
@Suite struct PlacementHashTests {
    @Test func fnv1a64MatchesPublishedVectors() {
        let cases: [(String, UInt64)] = [
            ("", 0xCBF2_9CE4_8422_2325), ("a", 0xAF63_DC4C_8601_EC8C), ("foobar", 0x8594_4171_F739_67E8),
            ("task-1", 0x0B62_5166_02EC_4E06), ("affinity/é✓", 0xCE90_2D44_82FD_D441),
        ]
        for (text, expected) in cases {
            #expect(PlacementHash.fnv1a64(text) == expected, "fnv1a64(\(text))")
        }
    }

    @Test func mixIsTheSplitMix64Finaliser() {
        // The first output of SplitMix64 seeded with 0 is mix(γ).
        #expect(PlacementHash.mix(PlacementHash.golden) == 0xE220_A839_7B1D_CDAF)
        #expect(PlacementHash.mix(0) == 0)
    }

    @Test func keyHashesArePinned() {
        let cases: [(String, UInt64)] = [
            ("", 0xF52A_15E9_A9B5_E89B), ("a", 0x02C0_BDBF_4814_20F8), ("foobar", 0x404D_A9E3_B740_78C2),
            ("task-1", 0x49A2_5E5F_3DDE_807D), ("affinity/é✓", 0x19C2_37E6_5422_D136),
        ]
        for (key, expected) in cases {
            #expect(PlacementHash.keyHash(key) == expected, "keyHash(\(key))")
        }
    }

    @Test func virtualPointsArePinned() {
        let cases: [(String, Int, UInt64)] = [
            ("node-1", 0, 0x94A9_D409_86DA_123D), ("node-1", 1, 0x1FCD_C595_9597_0C41),
            ("node-2", 0, 0xAA52_92EE_5091_7D7B), ("n", 63, 0xE3BA_73BA_1C63_0BBE),
        ]
        for (name, index, expected) in cases {
            #expect(PlacementHash.point(name: name, index: index) == expected, "point(\(name), \(index))")
        }
    }

    @Test func aNegativeOrHugePointIndexNeverTraps() {
        _ = PlacementHash.point(name: "x", index: -1)
        _ = PlacementHash.point(name: "x", index: .max)
    }
}
