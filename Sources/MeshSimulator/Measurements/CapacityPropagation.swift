import MeshCore

/// How long a new version of a node's capacity record takes to reach every node that was up when
/// it was made (and speaks capacity): a node that holds that version or a newer one has it. A node
/// still waiting when the run ends is a missing delivery (infinitely late).
///
/// Also liveness: once the faults stop, every version made must reach every live node within the
/// convergence bound, so the run does not end with versions still on their way.
final class CapacityPropagation: Measurement, LivenessChecker {
    static let figureNames = ["capacityVersions", "capacitySamples", "capacityMissing", "capacityP50Seconds",
                              "capacityP99Seconds", "capacityP9999Seconds"]

    struct Pending {
        var at: Int64
        var incarnation: UInt64
        var version: UInt64
        var waiting: Set<Int>
    }

    /// Per producing node, its versions still on their way to someone, oldest first.
    private var pending: [Int: [Pending]] = [:]
    private var samples: [Int64] = []
    private var versions = 0

    func nodeEmitted(_ event: MeshEvent, node: Int, world: Simulation) {
        switch event {
        case .capacityVersionMade(let incarnation, let version):
            versions += 1
            let waiting = Set(world.nodes.indices.filter { $0 != node && world.isRunning($0) && world.speaksCapacity($0) })
            guard !waiting.isEmpty else { return }
            pending[node, default: []].append(Pending(at: world.now, incarnation: incarnation, version: version, waiting: waiting))
        case .capacityTaken(let name, let incarnation, let version):
            guard let member = world.indexByName[name], var list = pending[member] else { return }
            for i in list.indices where (incarnation, version) >= (list[i].incarnation, list[i].version)
                && list[i].waiting.remove(node) != nil {
                samples.append(world.now - list[i].at)
            }
            list.removeAll { $0.waiting.isEmpty }
            pending[member] = list.isEmpty ? nil : list
        default:
            break
        }
    }

    /// A crashed node no longer has to learn anything; a crashed producer's versions need not spread.
    func nodeCrashed(_ victim: Int, incarnation: UInt64, world: Simulation) {
        pending[victim] = nil
        for member in pending.keys.sorted() {
            var list = pending[member]!
            for i in list.indices { list[i].waiting.remove(victim) }
            list.removeAll { $0.waiting.isEmpty }
            pending[member] = list.isEmpty ? nil : list
        }
    }

    func holds(in world: Simulation) -> Bool { pending.isEmpty }

    func failure(boundSeconds: String) -> String {
        "capacity record versions still had not reached every live node \(boundSeconds) s after the faults stopped"
    }

    func report(into report: inout SimulationReport, world: Simulation) {
        let missing = pending.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.waiting.count } }
        let late = LateSamples(delays: samples, missing: missing)
        let values: [Double?] = [Double(versions), Double(samples.count), Double(missing),
                                 late.quantile(0.5), late.quantile(0.99), late.quantile(0.9999)]
        report.layerFigures += zip(Self.figureNames, values).map { (name: $0.0, value: $0.1) }
    }
}
