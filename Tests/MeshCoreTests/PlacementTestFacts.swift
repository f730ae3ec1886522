@testable import MeshCore

/// A mixed membership for placement tests: alive and dead members, members without the profile,
/// with and without the `gpu` tag (node-level or on the profile), busy ones, varied slots.
enum PlacementTestFacts {
    static let profile = "claude"

    static func members(_ count: Int = 40) -> [PlacementCandidate] {
        (0..<count).map { i in
            var candidate = PlacementCandidate(name: "m\(i)", isAlive: i % 7 != 3)
            if i % 5 != 1 { candidate.slots[profile] = 1 + i % 6 }
            if i % 4 == 0 { candidate.slots["codex"] = 2 }
            if i % 3 == 0 { candidate.tags = ["gpu"] }
            if i % 11 == 2 { candidate.profileTags[profile] = ["gpu"] }
            if i % 9 == 4 { candidate.busySlots[profile] = candidate.slotCount(profile) }
            return candidate
        }
    }

    /// `members` in a seeded random order.
    static func shuffled(_ members: [PlacementCandidate], seed: UInt64) -> [PlacementCandidate] {
        var copy = members
        var generator = SeededGenerator(seed: seed)
        copy.shuffle(using: &generator)
        return copy
    }

    /// A synthetic load: a few tasks on some members.
    static func assigned(_ members: [PlacementCandidate]) -> [String: Int] {
        var assigned: [String: Int] = [:]
        for (i, member) in members.enumerated() where i % 3 != 0 { assigned[member.name] = i % 4 }
        return assigned
    }
}
