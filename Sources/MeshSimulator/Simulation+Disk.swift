import MeshCore

/// What a node makes durable. Today only its incarnation, written and synced at once.
extension Simulation {
    /// The `persistIncarnation` directive: the value survives every later crash.
    func persist(_ incarnation: UInt64, at node: Int) {
        if incarnation <= persistedIncarnation[node] {
            measurements.violation("t=\(seconds(now)) \(nodes[node].name) persisted incarnation \(incarnation) after \(persistedIncarnation[node])")
        }
        persistedIncarnation[node] = incarnation
    }
}
