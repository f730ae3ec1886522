import MeshCore

/// A part of the system under test that a scenario runs (`"layers": ["membership", …]`). Each
/// layer registers its own checkers and measurements (and its workload, if it has one), so a new
/// layer brings its checks with it instead of growing the simulation.
public enum Layer: String, Sendable, CaseIterable {
    /// SWIM membership and failure detection: every node runs it, so every scenario lists it.
    case membership
    /// Every node appends records to its write-ahead log at a rate and syncs them in batches,
    /// while crashes, EIO and disk-full strike: synced records must survive every crash.
    case diskWorkload
    /// Tasks submitted through random live nodes and run by fake agents, while the faults strike:
    /// no accepted task lost, none finished twice, no stale attempt completes one; after the
    /// faults stop every accepted task reaches a terminal state.
    case tasks
    /// Capacity gossip: every node advertises a profile; with `"loadChanges"` every node's load
    /// changes on a period; measures how fast each new record version reaches every node.
    case capacity

    /// Registers the layer's checkers and measurements with `simulation`.
    func install(in simulation: Simulation) {
        switch self {
        case .membership:
            simulation.register(safety: IncarnationsOnlyGrow())
            simulation.register(safety: DownMembersStayDown())
            simulation.register(safety: PersistedIncarnationsOnlyGrow())
            simulation.register(safety: NamesAreUnique())
            simulation.register(liveness: MembershipConverges())
            simulation.register(measurement: CrashDetection())
            simulation.register(measurement: FalseAccusations())
            simulation.register(measurement: Dissemination())
        case .diskWorkload:
            simulation.diskWorkload = DiskWorkload(settings: simulation.scenario.diskWorkload, nodes: simulation.scenario.nodes)
            simulation.register(measurement: DiskDurability())
        case .tasks:
            simulation.taskWorkload = TaskWorkload(settings: simulation.scenario.tasks)
            let safety = TasksCompleteOnce()
            let outcomes = TaskOutcomes(safety: safety)
            simulation.register(safety: safety)
            simulation.register(measurement: outcomes)
            simulation.register(liveness: outcomes)
            simulation.taskOutcomes = outcomes
        case .capacity:
            let propagation = CapacityPropagation()
            simulation.register(measurement: propagation)
            simulation.register(liveness: propagation)
        }
    }

    /// Figures the layer's measurements add to `SimulationReport.layerFigures` (membership's are
    /// typed fields of the report).
    var figureNames: [String] {
        switch self {
        case .membership: []
        case .diskWorkload: DiskDurability.figureNames
        case .tasks: TaskOutcomes.figureNames
        case .capacity: CapacityPropagation.figureNames
        }
    }

    /// What the world itself checks and measures, whatever the layers: the network, and every
    /// node's disk (whoever writes to it: a workload or the core's own `append` and `sync`).
    static func installWorld(in simulation: Simulation) {
        simulation.register(safety: DatagramsWithinSizeLimit())
        simulation.register(safety: SyncedRecordsSurvive())
        simulation.register(measurement: Traffic())
    }
}
