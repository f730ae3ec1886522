import MeshCore

/// What a node makes durable. Today only its incarnation, written and synced at once.
extension Simulation {
    /// The `persistIncarnation` directive: the value survives every later crash.
    func persist(_ incarnation: UInt64, at node: Int) {
        notify { $0.incarnationPersisted(incarnation, node: node, world: self) }
        persistedIncarnation[node] = incarnation
    }
}
