import MeshCore

/// Safety: no node ever finds its own name in use by another live node (each simulated node has a
/// name of its own, so a report of a duplicate is a mistake of the core).
final class NamesAreUnique: SafetyChecker {
    func nodeEmitted(_ event: MeshEvent, node: Int, world: Simulation) {
        guard case .duplicateName(let address) = event else { return }
        world.violation("\(world.timestamp) \(world.nodes[node].name) saw its name in use at \(address)")
    }
}
