import MeshCore

/// Safety: every incarnation a node makes durable is higher than the last one it made durable, in
/// this life or any earlier one (a restart must never come back below what the mesh knows).
final class PersistedIncarnationsOnlyGrow: SafetyChecker {
    private var last: [Int: UInt64] = [:]

    func incarnationPersisted(_ incarnation: UInt64, node: Int, world: Simulation) {
        let previous = last[node] ?? 0
        if incarnation <= previous {
            world.violation("\(world.timestamp) \(world.nodes[node].name) persisted incarnation \(incarnation) after \(previous)")
        }
        last[node] = incarnation
    }
}
