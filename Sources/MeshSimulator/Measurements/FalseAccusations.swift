import MeshCore

/// Suspicions and deaths of members that were up, not paused and reachable both ways from the
/// accuser: the mistakes a failure detector must keep rare (suspicions) or never make (deaths).
final class FalseAccusations: Measurement {
    /// False deaths described in the report, to start a diagnosis from.
    static let notesMax = 10
    private var suspectEpisodes: Set<UInt64> = []
    private var deadEpisodes: Set<UInt64> = []
    private var suspectObservations = 0
    private var raised = 0
    private var raisedAboutImpaired = 0
    private var raisedByImpaired = 0
    private var deathNotes: [String] = []

    func nodeEmitted(_ event: MeshEvent, node observer: Int, world: Simulation) {
        switch event {
        case .memberChanged(let name, let status, let incarnation, _):
            guard status == .suspect, let member = world.indexByName[name] else { return }
            if !world.isImpaired(observer) && world.isWronglyAccused(member, incarnation: incarnation, by: observer) {
                suspectObservations += 1
            }
        case .suspicionRaised(let name, let incarnation):
            guard let member = world.indexByName[name] else { return }
            suspicionRaised(member, incarnation: incarnation, by: observer, world: world)
        case .deathDeclared(let name, let incarnation):
            guard let member = world.indexByName[name] else { return }
            deathDeclared(member, incarnation: incarnation, by: observer, world: world)
        default:
            break
        }
    }

    private func suspicionRaised(_ member: Int, incarnation: UInt64, by observer: Int, world: Simulation) {
        guard world.isWronglyAccused(member, incarnation: incarnation, by: observer) else { return }
        suspectEpisodes.insert(Simulation.pairKey(member, Int(truncatingIfNeeded: incarnation)))
        if world.isImpaired(observer) {
            raisedByImpaired += 1
        } else {
            raised += 1
            if world.isImpaired(member) { raisedAboutImpaired += 1 }
        }
    }

    private func deathDeclared(_ member: Int, incarnation: UInt64, by observer: Int, world: Simulation) {
        guard world.isWronglyAccused(member, incarnation: incarnation, by: observer) else { return }
        deadEpisodes.insert(Simulation.pairKey(member, Int(truncatingIfNeeded: incarnation)))
        if deathNotes.count < FalseAccusations.notesMax {
            let nodes = world.nodes
            deathNotes.append("\(world.timestamp) \(nodes[observer].name) declared \(nodes[member].name) dead at incarnation \(incarnation); it is alive at \(nodes[member].instance!.incarnation)")
        }
    }

    func report(into report: inout SimulationReport, world: Simulation) {
        report.falseSuspectCount = suspectEpisodes.count
        report.falseSuspectObservations = suspectObservations
        report.falseSuspicionsRaised = raised
        report.falseSuspicionsRaisedAboutImpaired = raisedAboutImpaired
        report.falseSuspicionsRaisedByImpaired = raisedByImpaired
        report.falseDeadCount = deadEpisodes.count
        report.falseDeathNotes = deathNotes
    }
}
