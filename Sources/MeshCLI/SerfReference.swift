import Foundation
import Glibc
import MeshCore
import MeshRuntime

/// The same measurement as the mesh's, on Serf, in the same run (`mesh bench detect --serf`):
/// N agents joined through the first, `runs` kill-9 detections (each restarting the victim), the
/// idle window. Needs only the `serf` binary; everything else (config, state) is made at run time.
struct SerfReference {
    let serf: String
    let nodes: Int
    let profile: String
    let firstIP: UInt32

    /// `serf` on PATH, or nil.
    static func serfBinary() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/serf" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs everything, printing each step's result through `log`; nil when Serf could not be measured.
    func run(runs: Int, idleSeconds: Int, log: (String) -> Void) -> Bench.Figures? {
        let cluster: SerfCluster
        do {
            cluster = try SerfCluster(serf: serf, count: nodes, profile: profile, firstIP: firstIP)
        } catch {
            log("serf: \(error)")
            return nil
        }
        let interrupt = LocalCluster.onInterrupt { cluster.stop(grace: 1) }
        defer { withExtendedLifetime(interrupt) {} }
        defer { cluster.stop() }
        guard start(cluster, log: log) else { return nil }
        var figures = Bench.Figures()
        let victim = nodes - 1
        for run in 1...runs {
            let victimName = cluster.name(victim)
            let summary = DetectionSummary(DetectionRun.measure(observers: Array(0..<victim), kill: { cluster.kill(victim) }) {
                cluster.members(seenBy: $0)?[victimName] == "failed"
            })
            figures.add(summary)
            let restarted = SystemClock.monotonicNanoseconds()
            let rejoined = (try? cluster.start(victim, seed: 0)) != nil && cluster.waitUntil(seconds: 60) {
                (0..<victim).allSatisfy { cluster.members(seenBy: $0)?[victimName] == "alive" }
            }
            guard rejoined else {
                log("serf: run \(run): the restarted victim was not alive everywhere within 60 s (logs in \(cluster.directory))")
                return nil
            }
            let rejoin = Double(SystemClock.monotonicNanoseconds() - restarted) / 1e9
            log("serf run=\(run) \(summary.line) rejoin_s=\(DetectionRun.seconds(rejoin))")
        }
        figures.idle = ProcessMeter.idleCost(of: cluster.pids, seconds: Double(idleSeconds)) { cluster.metrics.traffic }
        return figures
    }

    /// Starts every agent, each joined through the first, and waits until all see all alive.
    private func start(_ cluster: SerfCluster, log: (String) -> Void) -> Bool {
        do {
            try cluster.start(0, seed: nil)
            guard cluster.waitUntil(seconds: 10, { cluster.members(seenBy: 0) != nil }) else {
                log("serf: the first agent did not answer within 10 s (\(cluster.logPath(0)))")
                return false
            }
            for index in 1..<nodes { try cluster.start(index, seed: 0) }
        } catch {
            log("serf: cannot start the agents: \(error)")
            return false
        }
        let joined = cluster.waitUntil(seconds: 60) {
            (0..<nodes).allSatisfy { observer in
                cluster.members(seenBy: observer).map { $0.values.filter { $0 == "alive" }.count == nodes } ?? false
            }
        }
        if !joined { log("serf: the \(nodes) agents did not all see each other within 60 s (logs in \(cluster.directory))") }
        return joined
    }
}
