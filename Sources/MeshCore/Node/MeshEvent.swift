/// Things a node observed or decided, for logs, the simulator's measurements and the control API.
public enum MeshEvent: Sendable, Equatable {
    /// This node's view of a member changed (new member, new incarnation or new status).
    case memberChanged(name: String, status: MemberStatus, incarnation: UInt64, address: Address)
    /// A dead or left member was forgotten after the retention period.
    case memberForgotten(name: String)
    /// This node's own probe of `name` failed and it raised (or confirmed) a suspicion.
    case suspicionRaised(name: String, incarnation: UInt64)
    /// This node's suspicion of `name` ran out and it declared the member dead.
    case deathDeclared(name: String, incarnation: UInt64)
    /// Someone suspected or declared this node dead; it refuted with a higher incarnation.
    case refuted(incarnation: UInt64)
    /// The first state exchange with a seed succeeded.
    case joined(seed: Address)
    /// One join attempt through `seed` failed, while this node has not joined yet.
    case joinFailed(seed: Address, reason: ExchangeFailure)
    /// Another live node already uses this node's name: the shell must refuse to run.
    case duplicateName(address: Address)
    /// The graceful leave has been announced.
    case leaveAnnounced(incarnation: UInt64)
    /// This node made a new version of its capacity record.
    case capacityVersionMade(incarnation: UInt64, version: UInt64)
    /// This node took a newer capacity record of member `name` from the wire.
    case capacityTaken(name: String, incarnation: UInt64, version: UInt64)
}
