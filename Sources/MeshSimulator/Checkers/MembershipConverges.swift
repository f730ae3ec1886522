import MeshCore

/// Liveness: every live node lists every other live node alive, and every crashed or departed
/// node as dead, left or forgotten.
final class MembershipConverges: LivenessChecker {
    func holds(in world: Simulation) -> Bool {
        let nodes = world.nodes
        for u in nodes.indices {
            guard let view = nodes[u].instance, !nodes[u].hasLeft else { continue }
            for v in nodes.indices where v != u {
                let known = view.members[nodes[v].name]
                if nodes[v].instance != nil && !nodes[v].hasLeft {
                    guard let known, known.status == .alive else { return false }
                } else if let known, known.status < .dead {
                    return false
                }
            }
        }
        return true
    }

    func failure(boundSeconds: String) -> String {
        "live nodes did not converge within \(boundSeconds) s after the faults stopped"
    }
}
