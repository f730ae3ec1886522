import MeshCore

/// Safety: no datagram exceeds `WireLimits.datagramBytesMax` (it would be fragmented or dropped on
/// a real network).
final class DatagramsWithinSizeLimit: SafetyChecker {
    func datagramSent(_ bytes: Bytes, node: Int, world: Simulation) {
        guard bytes.count > WireLimits.datagramBytesMax else { return }
        world.violation("\(world.timestamp) \(world.nodes[node].name) sent a datagram of \(bytes.count) bytes")
    }
}
