import MeshCore

/// Safety: a member a node saw dead or left never becomes alive again in its view without a
/// higher incarnation (the ordering rule: at equal incarnation, dead and left win).
final class DownMembersStayDown: SafetyChecker {
    /// (observer << 32 | member) → the last incarnation and status the observer reported.
    private var seen: [UInt64: (UInt64, MemberStatus)] = [:]

    func nodeEmitted(_ event: MeshEvent, node observer: Int, world: Simulation) {
        switch event {
        case .memberChanged(let name, let status, let incarnation, _):
            guard let member = world.indexByName[name] else { return }
            let key = Simulation.pairKey(observer, member)
            if let (previousIncarnation, previousStatus) = seen[key],
               previousStatus.isDown && status == .alive && incarnation <= previousIncarnation {
                world.violation("\(world.timestamp) \(world.nodes[observer].name) saw \(name) alive again at incarnation \(incarnation) after \(previousStatus)")
            }
            seen[key] = (incarnation, status)
        case .memberForgotten(let name):
            if let member = world.indexByName[name] { seen.removeValue(forKey: Simulation.pairKey(observer, member)) }
        default:
            break
        }
    }

    func nodeCrashed(_ node: Int, incarnation: UInt64, world: Simulation) {
        for member in world.nodes.indices { seen.removeValue(forKey: Simulation.pairKey(node, member)) }
    }
}
