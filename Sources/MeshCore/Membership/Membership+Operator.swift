/// What an operator may ask of membership on a running node: join more seeds, force a dead
/// member out, and announce a new primary key.
extension Membership {
    /// Starts a join exchange (a push-pull marked `join`) with `seed`; returns its number, or nil
    /// when too many exchanges are under way.
    mutating func joinThrough(_ seed: Address) -> UInt64? {
        openStream(.join(seed), to: seed, join: true)
    }

    /// Marks a dead member left, as if it had left gracefully: a `left` on its behalf at its
    /// current incarnation (left outranks dead at equal incarnation everywhere), gossiped, and
    /// forgotten after the retention period like any left member. Returns why it is refused: this
    /// node, an unknown name, or a member that is alive or suspect (it can still answer and refute,
    /// so only its own `mesh leave` may take it out). A member already left is announced again.
    mutating func forceLeave(_ memberName: String) -> String? {
        guard memberName != name else { return "\(memberName) is this node: use mesh leave" }
        guard let index = members.index(of: memberName) else {
            return "no member named '\(memberName)' (see mesh status)"
        }
        let member = members[index: index]
        guard member.status.isDown else {
            return "\(memberName) is \(member.status), not dead: only a dead member can be forced out "
                + "(a live one leaves with mesh leave on its own machine)"
        }
        let message = Leave(incarnation: member.incarnation, name: memberName)
        if member.status == .left {
            enqueueBroadcast(about: memberName, .leave(message))
        } else {
            applyLeave(message, now: currentTime)
        }
        return nil
    }

    /// Tags are made and checked under `keyring` from now on. A new primary key is announced in
    /// this node's metadata (its fingerprint) with a new incarnation, so every member learns which
    /// key it uses; the key itself never travels.
    mutating func replaceKeyring(_ keyring: Keyring) {
        let isNewPrimary = codec.keyring?.primary != keyring.primary
        codec.keyring = keyring
        guard isNewPrimary else { return }
        let newMeta = MemberMeta.advertising(keyring, in: meta)
        if newMeta.count <= WireLimits.metaBytesMax && !isLeaving { updateMeta(newMeta) }
    }
}
