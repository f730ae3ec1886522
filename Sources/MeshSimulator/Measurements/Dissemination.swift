import MeshCore

/// How long an update (new metadata at a new incarnation) takes to reach each node that was up
/// when it was announced. A node that never learns it before the same member's next update, or
/// before the run ends, is a missing delivery.
final class Dissemination: Measurement {
    struct Pending {
        var at: Int64
        var incarnation: UInt64
        var waiting: Set<Int>
    }

    /// The newest update of each member still on its way to someone.
    private var pending: [Int: Pending] = [:]
    private(set) var samples: [Int64] = []
    private var missing = 0

    func updateAnnounced(_ node: Int, incarnation: UInt64, world: Simulation) {
        if let previous = pending[node] { missing += previous.waiting.count }
        let waiting = Set(world.nodes.indices.filter { $0 != node && world.isRunning($0) })
        pending[node] = Pending(at: world.now, incarnation: incarnation, waiting: waiting)
    }

    /// A crashed node no longer has to learn anything.
    func nodeCrashed(_ victim: Int, incarnation: UInt64, world: Simulation) {
        for (updater, var d) in pending.sorted(by: { $0.key < $1.key }) where d.waiting.contains(victim) {
            d.waiting.remove(victim)
            pending[updater] = d.waiting.isEmpty ? nil : d
        }
    }

    func nodeEmitted(_ event: MeshEvent, node observer: Int, world: Simulation) {
        guard case .memberChanged(let name, _, let incarnation, _) = event, let member = world.indexByName[name],
              var d = pending[member], incarnation >= d.incarnation, d.waiting.contains(observer) else { return }
        samples.append(world.now - d.at)
        d.waiting.remove(observer)
        pending[member] = d.waiting.isEmpty ? nil : d
    }

    func report(into report: inout SimulationReport, world: Simulation) {
        let late = LateSamples(delays: samples, missing: missing + pending.values.reduce(0) { $0 + $1.waiting.count })
        report.disseminationSamples = samples.count
        report.disseminationMissing = late.missing
        report.disseminationP50Seconds = late.quantile(0.5)
        report.disseminationP99Seconds = late.quantile(0.99)
        report.disseminationP9999Seconds = late.quantile(0.9999)
    }
}
