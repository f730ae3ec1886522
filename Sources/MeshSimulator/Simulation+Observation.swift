import MeshCore

/// What nodes report, handed to the checkers and measurements; the world's judgement of an
/// accusation; and liveness, asked once the faults stop.
extension Simulation {
    /// Calls `hook` on every checker and measurement, in the order registered.
    func notify(_ hook: (WorldObserver) -> Void) {
        for observer in observers { hook(observer) }
    }

    /// The `event` directive of node `observer`: mixed into the trace, then observed.
    func observe(_ event: MeshEvent, at observer: Int) {
        switch event {
        case .memberChanged(let name, let status, let incarnation, _):
            trace.mix(name); trace.mix(UInt64(status.rawValue)); trace.mix(incarnation)
        case .memberForgotten(let name):
            trace.mix(name)
        case .suspicionRaised(let name, let incarnation), .deathDeclared(let name, let incarnation):
            trace.mix(name); trace.mix(incarnation)
        case .refuted(let incarnation), .leaveAnnounced(let incarnation):
            trace.mix(incarnation)
        case .joined(let seed):
            trace.mix(UInt64(seed.ipv4))
        case .duplicateName, .joinFailed:
            break
        case .capacityVersionMade(let incarnation, let version):
            trace.mix(incarnation); trace.mix(version)
        case .capacityTaken(let name, let incarnation, let version):
            trace.mix(name); trace.mix(incarnation); trace.mix(version)
        }
        notify { $0.nodeEmitted(event, node: observer, world: self) }
    }

    /// True when `member` runs the life that holds `incarnation`.
    func isUp(_ member: Int, incarnation: UInt64) -> Bool {
        isRunning(member) && incarnation >= nodes[member].lifeStartIncarnation
    }

    /// True when `member` is running its life at `incarnation`, is not paused, and `observer` and
    /// it can reach each other: only then is suspecting it a mistake rather than a correct call.
    func isWronglyAccused(_ member: Int, incarnation: UInt64, by observer: Int) -> Bool {
        isUp(member, incarnation: incarnation) && now >= nodes[member].pausedUntil
            && !isBlocked(observer, member) && !isBlocked(member, observer)
    }

    /// Liveness: once the faults stop, every liveness checker must hold within the convergence
    /// bound. Asked every half second; the run ends when all hold or the bound passes.
    func checkLiveness() {
        guard convergedAt == nil else { return }
        if livenessCheckers.allSatisfy({ $0.holds(in: self) }) {
            convergedAt = now
            return
        }
        if now >= scenario.duration + scenario.convergenceBound {
            convergenceFailed = true
            for checker in livenessCheckers where !checker.holds(in: self) {
                violation(checker.failure(boundSeconds: seconds(scenario.convergenceBound)))
            }
            return
        }
        queue.push(now + .milliseconds(500), .livenessCheck)
    }
}
