import MeshCore

/// What a node makes durable: its incarnation (written and synced at once, its own small file),
/// and its write-ahead log on its `SimDisk`.
extension Simulation {
    /// The `persistIncarnation` directive: the value survives every later crash.
    func persist(_ incarnation: UInt64, at node: Int) {
        notify { $0.incarnationPersisted(incarnation, node: node, world: self) }
        persistedIncarnation[node] = incarnation
    }

    /// The crash of `node` reaches its disk: unsynced records are lost, the last may be torn.
    func crashDisk(_ node: Int) {
        let damage = disks[node].crash(using: &random)
        if damage.recordsLost > 0 {
            trace.mix(34); trace.mix(node); trace.mix(damage.recordsLost); trace.mix(damage.tear == nil ? 0 : 1)
        }
        notify { $0.diskCrashed(damage, node: node, world: self) }
    }

    /// At the start of a life, the node reads its log back and cuts a torn tail.
    func recoverDisk(_ node: Int) {
        let recovery = disks[node].recover()
        if !recovery.records.isEmpty || recovery.tornTail {
            trace.mix(35); trace.mix(node); trace.mix(recovery.records.count); trace.mix(recovery.tornTail ? 1 : 0)
        }
        notify { $0.logRecovered(recovery, node: node, world: self) }
    }
}
