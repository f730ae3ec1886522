import MeshCore

/// Safety: a node never sees a member's incarnation fall.
///
/// Within one life of the observer: a restarted node starts from an empty table, so what its
/// previous life saw no longer binds it; a forgotten member starts afresh too.
final class IncarnationsOnlyGrow: SafetyChecker {
    /// (observer << 32 | member) → the last incarnation the observer reported.
    private var seen: [UInt64: UInt64] = [:]

    func nodeEmitted(_ event: MeshEvent, node observer: Int, world: Simulation) {
        switch event {
        case .memberChanged(let name, _, let incarnation, _):
            guard let member = world.indexByName[name] else { return }
            let key = Simulation.pairKey(observer, member)
            if let previous = seen[key], incarnation < previous {
                world.violation("\(world.timestamp) \(world.nodes[observer].name) saw \(name)'s incarnation fall from \(previous) to \(incarnation)")
            }
            seen[key] = incarnation
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
