import MeshCore

/// How long a crash takes to be seen: from the crash instant to the first suspicion anywhere, and
/// until every observer marks the victim dead. The observers are the nodes that were up at the
/// crash, stayed up, and listed the victim as a member then (alive or suspect): a node that did
/// not know the victim (a seedless node that restarted and has not yet relearned the mesh) has
/// nothing to detect, and the liveness check still holds it to a view without the victim alive.
///
/// A crash that not every observer saw dead before the victim restarted (or before the run ended)
/// is undetected: it counts as infinitely late in the quantiles.
final class CrashDetection: Measurement {
    struct Crash {
        var victim: Int
        var at: Int64
        /// The victim's incarnation when it crashed: suspicions and deaths at or below it are about
        /// the crashed life.
        var incarnation: UInt64
        var observers: Set<Int>
        var detectedBy: [Int: Int64] = [:]
        var firstSuspectAt: Int64?
        var completedAt: Int64?
        var abandoned = false
    }

    private(set) var crashes: [Crash] = []
    private var openCrashByVictim: [Int: Int] = [:]

    func nodeCrashed(_ victim: Int, incarnation: UInt64, world: Simulation) {
        // An observer that crashes no longer has to detect anyone.
        for i in crashes.indices where crashes[i].completedAt == nil
            && !crashes[i].abandoned && crashes[i].observers.contains(victim) {
            crashes[i].observers.remove(victim)
            completeIfDetected(i, now: world.now)
        }
        let name = world.nodes[victim].name
        let observers = Set(world.nodes.indices.filter { observer in
            observer != victim && world.isRunning(observer)
                && world.nodes[observer].instance!.members[name].map { !$0.status.isDown } == true
        })
        crashes.append(Crash(victim: victim, at: world.now, incarnation: incarnation, observers: observers))
        openCrashByVictim[victim] = crashes.count - 1
    }

    /// A restart ends the crash's sample: if not everyone saw the death by now, it never counts.
    func nodeRestarting(_ node: Int, world: Simulation) {
        if let open = openCrashByVictim.removeValue(forKey: node) {
            crashes[open].abandoned = crashes[open].completedAt == nil
        }
    }

    func nodeEmitted(_ event: MeshEvent, node observer: Int, world: Simulation) {
        guard case .memberChanged(let name, let status, let incarnation, _) = event, status >= .suspect,
              let member = world.indexByName[name], let open = openCrashByVictim[member],
              incarnation <= crashes[open].incarnation else { return }
        if crashes[open].firstSuspectAt == nil { crashes[open].firstSuspectAt = world.now }
        if status.isDown, crashes[open].observers.contains(observer), crashes[open].detectedBy[observer] == nil {
            crashes[open].detectedBy[observer] = world.now
            completeIfDetected(open, now: world.now)
        }
    }

    private func completeIfDetected(_ i: Int, now: Int64) {
        let crash = crashes[i]
        if crash.completedAt == nil && crash.observers.allSatisfy({ crash.detectedBy[$0] != nil }) {
            crashes[i].completedAt = crash.observers.map { crash.detectedBy[$0]! }.max() ?? now
        }
    }

    func report(into report: inout SimulationReport, world: Simulation) {
        let completed = crashes.compactMap { c in c.completedAt.map { $0 - c.at } }
        let firstSuspects = crashes.compactMap { c in c.firstSuspectAt.map { $0 - c.at } }
        let samples = LateSamples(delays: completed, missing: crashes.count - completed.count)
        report.crashes = crashes.count
        report.crashesDetected = completed.count
        report.crashesUndetected = samples.missing
        report.firstSuspectMeanSeconds = firstSuspects.isEmpty ? nil
            : Double(firstSuspects.reduce(0, +)) / Double(firstSuspects.count) / 1e9
        report.deadEverywhereMedianSeconds = samples.median
        report.deadEverywhereP90Seconds = samples.quantile(0.9)
        report.deadEverywhereP99Seconds = samples.quantile(0.99)
        report.deadEverywhereMaxSeconds = samples.max
        // The median observer's time per crash, in nanoseconds; nil (infinitely late) when the
        // median lands on an observer that never saw the death.
        let medians: [Int64?] = crashes.filter { !$0.observers.isEmpty }.map { crash in
            let times = crash.observers.map { crash.detectedBy[$0].map { $0 - crash.at } ?? .max }.sorted()
            let low = times[(times.count - 1) / 2], high = times[times.count / 2]
            guard high != .max else { return nil }
            return low / 2 + high / 2
        }
        let observerSamples = LateSamples(delays: medians.compactMap { $0 }, missing: medians.filter { $0 == nil }.count)
        report.deadMedianObserverMedianSeconds = observerSamples.median
        report.deadMedianObserverP90Seconds = observerSamples.quantile(0.9)
    }
}
