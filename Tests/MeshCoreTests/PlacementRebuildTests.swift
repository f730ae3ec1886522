import Testing
@testable import MeshCore

/// Rebuilding a ring from the previous one gives exactly the ring built from scratch.
@Suite struct PlacementRebuildTests {
    static func sameRing(_ a: PlacementRing, _ b: PlacementRing) -> Bool {
        a.names == b.names && a.weights == b.weights && a.freeSlots == b.freeSlots && a.excluded == b.excluded
            && a.points.hashes == b.points.hashes && a.points.members == b.points.members
    }

    /// One random change: a join, a leave, a death, a slot change or a tag change.
    static func change(_ members: inout [PlacementCandidate], _ generator: inout SeededGenerator, step: Int) {
        let victim = generator.below(members.count)
        switch generator.below(5) {
        case 0: members.append(PlacementCandidate(name: "j\(step)", slots: ["p": 1 + generator.below(16)]))
        case 1: if members.count > 2 { members.remove(at: victim) }
        case 2: members[victim].isAlive.toggle()
        case 3: members[victim].slots["p"] = generator.below(17)
        default: members[victim].tags = members[victim].tags.isEmpty ? ["gpu"] : []
        }
    }

    @Test(arguments: [PlacementSettings(), PlacementSettings(pointsPerSlot: 16, ringPointsMax: 4_000)])
    func aRingRebuiltFromItsPredecessorIsTheRingBuiltFromScratch(_ settings: PlacementSettings) {
        var generator = SeededGenerator(seed: 11)
        var members = (0..<30).map { PlacementCandidate(name: "m\($0)", slots: ["p": 1 + $0 % 16]) }
        for tags in [[], ["gpu"]] as [[String]] {
            var ring = PlacementRing(candidates: members, profile: "p", requiredTags: tags, settings: settings)
            var perSlotSeen = Set<Int>()
            for step in 0..<150 {
                Self.change(&members, &generator, step: step)
                let rebuilt = PlacementRing(candidates: members, profile: "p", requiredTags: tags, settings: settings,
                                            reusing: ring)
                let scratch = PlacementRing(candidates: PlacementTestFacts.shuffled(members, seed: UInt64(step)),
                                            profile: "p", requiredTags: tags, settings: settings)
                #expect(Self.sameRing(rebuilt, scratch), "step \(step)")
                perSlotSeen.insert(rebuilt.pointsPerSlotUsed)
                ring = rebuilt
            }
            if settings.ringPointsMax < 10_000 && tags.isEmpty { #expect(perSlotSeen.count > 1, "the cap was crossed") }
        }
    }

    @Test func aPredecessorForAnotherProfileOrSettingsIsNotReused() {
        let members = (0..<10).map { PlacementCandidate(name: "m\($0)", slots: ["p": 2, "q": 1 + $0]) }
        let other = PlacementRing(candidates: members, profile: "q")
        let rebuilt = PlacementRing(candidates: members, profile: "p", reusing: other)
        #expect(Self.sameRing(rebuilt, PlacementRing(candidates: members, profile: "p")))
        let sparse = PlacementRing(candidates: members, profile: "p", settings: PlacementSettings(pointsPerSlot: 3))
        #expect(Self.sameRing(PlacementRing(candidates: members, profile: "p", reusing: sparse),
                              PlacementRing(candidates: members, profile: "p")))
    }
}
