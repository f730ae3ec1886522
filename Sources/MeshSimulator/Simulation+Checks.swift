import MeshCore

/// Safety, checked on every event a node emits, and liveness, checked after the faults stop.
extension Simulation {
    func observe(_ event: MeshEvent, at observer: Int) {
        switch event {
        case .memberChanged(let name, let status, let incarnation, _):
            trace.mix(name); trace.mix(UInt64(status.rawValue)); trace.mix(incarnation)
            guard let member = indexByName[name] else { return }
            checkView(of: member, status: status, incarnation: incarnation, by: observer)
            memberChanged(member, status: status, incarnation: incarnation, observer: observer)
        case .memberForgotten(let name):
            trace.mix(name)
            if let member = indexByName[name] { measurements.views.removeValue(forKey: Measurements.key(observer, member)) }
        case .suspicionRaised(let name, let incarnation):
            trace.mix(name); trace.mix(incarnation)
            if let member = indexByName[name] { suspicionRaised(member, incarnation: incarnation, by: observer) }
        case .deathDeclared(let name, let incarnation):
            trace.mix(name); trace.mix(incarnation)
            if let member = indexByName[name] { deathDeclared(member, incarnation: incarnation, by: observer) }
        case .refuted(let incarnation):
            trace.mix(incarnation)
        case .joined(let seed):
            trace.mix(UInt64(seed.ipv4))
        case .duplicateName(let address):
            measurements.violation("t=\(seconds(now)) \(nodes[observer].name) saw its name in use at \(address)")
        case .leaveAnnounced(let incarnation):
            trace.mix(incarnation)
        }
    }

    /// A node never sees a member's incarnation fall, nor a member alive again after dead or left
    /// without a higher incarnation.
    func checkView(of member: Int, status: MemberStatus, incarnation: UInt64, by observer: Int) {
        let key = Measurements.key(observer, member)
        let name = nodes[member].name
        if let (previousIncarnation, previousStatus) = measurements.views[key] {
            if incarnation < previousIncarnation {
                measurements.violation("t=\(seconds(now)) \(nodes[observer].name) saw \(name)'s incarnation fall from \(previousIncarnation) to \(incarnation)")
            }
            if previousStatus.isDown && status == .alive && incarnation <= previousIncarnation {
                measurements.violation("t=\(seconds(now)) \(nodes[observer].name) saw \(name) alive again at incarnation \(incarnation) after \(previousStatus)")
            }
        }
        measurements.views[key] = (incarnation, status)
    }

    func isUp(_ member: Int, incarnation: UInt64) -> Bool {
        nodes[member].instance != nil && !nodes[member].hasLeft && incarnation >= nodes[member].lifeStartIncarnation
    }

    /// True when `member` is running its life at `incarnation`, is not paused, and `observer` and
    /// it can reach each other: only then is suspecting it a mistake rather than a correct call.
    func isWronglyAccused(_ member: Int, incarnation: UInt64, by observer: Int) -> Bool {
        isUp(member, incarnation: incarnation) && now >= nodes[member].pausedUntil
            && !isBlocked(observer, member) && !isBlocked(member, observer)
    }

    /// Liveness: every live node lists every other live node alive, and every crashed node as dead,
    /// left or forgotten. Checked every half second once the faults stop.
    func checkConvergence() {
        guard convergedAt == nil else { return }
        if isConverged() {
            convergedAt = now
            return
        }
        if now >= scenario.duration + scenario.convergenceBound {
            convergenceFailed = true
            measurements.violation("live nodes did not converge within \(seconds(scenario.convergenceBound)) s after the faults stopped")
            return
        }
        queue.push(now + .milliseconds(500), .convergenceCheck)
    }

    func isConverged() -> Bool {
        for u in nodes.indices {
            guard let view = nodes[u].instance, !nodes[u].hasLeft else { continue }
            for v in nodes.indices where v != u {
                let known = view.members[nodes[v].name]
                if nodes[v].instance != nil && !nodes[v].hasLeft {
                    guard let known, known.status == .alive else { return false }
                } else if let known, known.status < .dead {
                    return false
                }
            }
        }
        return true
    }
}
