@_spi(Simulation) import MeshCore

/// The scenario's timeline: each action at its instant, and the two that are not faults (a node
/// announces new metadata; a node leaves gracefully).
extension Simulation {
    func perform(_ action: Scenario.Action) {
        if let kind = action.faultKind { faultsInjected[kind, default: 0] += 1 }
        switch action {
        case .crash(let victim): crash(victim)
        case .restart(let node): restart(node)
        case .pause(let node, let duration): pause(node, for: duration)
        case .partition(let groups, let oneWay): partition(groups, oneWay: oneWay)
        case .heal: heal()
        case .setLoss(let p): loss = p; isLossOverridden = true
        case .update(let node): announceUpdate(node)
        case .leave(let node): leave(node)
        case .starve(let node, let duration, let lagMin, let lagMax):
            starve(node, for: duration, lagMin: lagMin, lagMax: lagMax)
        case .diskError(let node): disks[node].failsNextSync = true
        case .diskFull(let node, let duration): disks[node].fullUntil = now + duration
        }
    }

    /// The node announces new metadata (a new incarnation): the start of a dissemination sample.
    func announceUpdate(_ node: Int) {
        guard nodes[node].instance != nil, !nodes[node].hasLeft else { return }
        nodes[node].metaVersion += 1
        var w = ByteWriter(); w.u32(nodes[node].metaVersion)
        let directives = nodes[node].instance!.updateMeta(w.bytes, at: moment)
        let incarnation = nodes[node].instance!.incarnation
        notify { $0.updateAnnounced(node, incarnation: incarnation, world: self) }
        apply(node, directives)
    }

    func leave(_ node: Int) {
        guard nodes[node].instance != nil else { return }
        nodes[node].hasLeft = true
        apply(node, nodes[node].instance!.leave(at: moment))
    }
}
