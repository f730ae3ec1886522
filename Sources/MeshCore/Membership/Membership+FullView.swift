/// Whether this node knows the mesh, not only the members that happened to contact it (used by
/// the task layer before it acts on a copy recovered from its log).
extension Membership {
    /// Entries kept in `unlearnedMembers`; past it the view counts as partial until they are learned.
    static let unlearnedMembersMax = 64

    /// True once this node merged another member's full state in this life and knows every member
    /// that state listed alive (in any status): it knows the mesh, not only the members that
    /// happened to contact it since it started (a node without seeds that restarted knows no one
    /// until a member probes or syncs with it). Members a state listed down and this node never
    /// knew are not added by the merge; they are in `membersListedDown`.
    public var hasFullView: Bool {
        guard statesMerged > 0, unlearnedMembers.count < Self.unlearnedMembersMax else { return false }
        return unlearnedMembers.allSatisfy { $0.status.isDown || members.index(of: $0.name) != nil }
    }

    /// Members a merged state listed suspect, dead or left that this node does not know (a merge
    /// adds none of them), with the address and status that state gave.
    public var membersListedDown: [MemberState] {
        unlearnedMembers.filter { $0.status >= .suspect && members.index(of: $0.name) == nil }
    }

    /// Remembers which members `state` (and earlier ones: a later, partial state must not make
    /// the view look whole) listed that this node still does not know, as the latest state says.
    mutating func noteUnlearned(_ state: PushPull) {
        unlearnedMembers.removeAll { members.index(of: $0.name) != nil }
        for remote in state.members where remote.name != name && members.index(of: remote.name) == nil {
            var listed = remote
            listed.meta = []
            if let index = unlearnedMembers.firstIndex(where: { $0.name == remote.name }) {
                unlearnedMembers[index] = listed
            } else if unlearnedMembers.count < Self.unlearnedMembersMax {
                unlearnedMembers.append(listed)
            }
        }
    }
}
