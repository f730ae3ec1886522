/// This node's view for placement, built from membership and capacity records alone, so every node
/// with the same facts computes the same owner and replicas.
extension Membership {
    /// Every member this node knows (itself included) as a placement candidate. Alive and suspect
    /// members are alive for placement (a suspect may still answer; it is dead only once declared);
    /// a member without a record has no profiles, so it can be a replica but never an owner.
    public var placementCandidates: [PlacementCandidate] {
        var candidates = [candidate(name: name, isAlive: !isLeaving)]
        candidates.reserveCapacity(members.count + 1)
        for member in members.members {
            candidates.append(candidate(name: member.name, isAlive: !member.status.isDown))
        }
        return candidates
    }

    private func candidate(name member: String, isAlive: Bool) -> PlacementCandidate {
        var candidate = PlacementCandidate(name: member, isAlive: isAlive)
        guard let record = capacity.entry(member)?.record else { return candidate }
        candidate.tags = record.tags
        for profile in record.profiles {
            candidate.slots[profile.name] = profile.slots
            candidate.busySlots[profile.name] = profile.busy
            candidate.profileTags[profile.name] = profile.tags
        }
        return candidate
    }

    /// True when some alive member (this node included) advertises `profile`.
    public func profileIsAdvertised(_ profile: String) -> Bool {
        placementCandidates.contains { $0.isAlive && $0.slotCount(profile) > 0 }
    }

    /// Every profile alive members advertise, sorted.
    public var advertisedProfiles: [String] {
        var names: [String] = []
        for candidate in placementCandidates where candidate.isAlive {
            for (profile, slots) in candidate.slots where slots > 0 && !names.contains(profile) { names.append(profile) }
        }
        return names.sorted()
    }
}
