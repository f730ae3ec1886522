/// Whether this node knows the mesh, not only the members that happened to contact it (used by
/// the task layer before it acts on a copy recovered from its log).
extension Membership {
    /// Names kept in `unlearnedMembers`; past it the view counts as partial until a later merge.
    static let unlearnedMembersMax = 64

    /// True once this node merged another member's full state in this life and knows (in any
    /// status) every member that state listed: it knows the mesh, not only the members that
    /// happened to contact it since it started. A node without seeds that restarted knows no one
    /// until a member probes or syncs with it; a merged state's dead members are not added.
    public var hasFullView: Bool {
        statesMerged > 0 && unlearnedMembers.allSatisfy { members.index(of: $0) != nil }
    }

    /// Remembers which members `state` (and earlier ones: a later, partial state must not make
    /// the view look whole) listed that this node still does not know.
    mutating func noteUnlearned(_ state: PushPull) {
        unlearnedMembers.removeAll { members.index(of: $0) != nil }
        for remote in state.members where remote.name != name && members.index(of: remote.name) == nil
            && !unlearnedMembers.contains(remote.name) {
            guard unlearnedMembers.count < Self.unlearnedMembersMax else { return }
            unlearnedMembers.append(remote.name)
        }
    }
}
