import Foundation
import Glibc
import MeshCore
import MeshRuntime

extension MeshCommandLine {
    static let benchCommand = Command(
        name: "bench", summary: "measure failure detection and idle cost on real local nodes (optionally beside Serf), placement, or the write-ahead log",
        usage: "bench detect --nodes N --runs R [--serf] [--idle-seconds S] [--preset P]  |  bench place [--lookups N] [--json]\n       mesh bench wal [--dir D] [--samples N] [--appenders 1,4,16,64] [--seconds S] [--record-bytes B] [--json]",
        options: [
            .value("nodes", "N", "nodes to start (default 5)"),
            .value("runs", "R", "kill-9 runs (default 5)"),
            .value("idle-seconds", "S", "idle window for traffic, memory and CPU (default 60)"),
            .value("preset", "P", "membership timing of the nodes (default lan)"),
            .value("first-ip", "A.B.C.D", "address of the first node (default 127.0.0.101)"),
            .value("port", "P", "gossip port (control API on P+1; default 7946)"),
            .flag("no-key", "run the nodes unauthenticated (default: a fresh key, as in production)"),
            .flag("serf", "also measure Serf the same way in the same run (needs serf: apt-get install -y serf)"),
            .value("serf-dir", "DIR", "the Serf scripts (default: shared/bench/serf beside the checkout)"),
            .value("serf-profile", "P", "Serf's timing profile (default lan)"),
            .value("lookups", "N", "bench place: lookups timed per ring size (default 1000000)"),
            .value("dir", "D", "wal: directory to measure in (default: the current one; a subdirectory is removed after)"),
            .value("samples", "N", "wal: append+fsync samples for the raw latency (default 1000)"),
            .value("appenders", "LIST", "wal: concurrent appender counts for group commit (default 1,4,16,64)"),
            .value("seconds", "S", "wal: seconds per group-commit run (default 2)"),
            .value("record-bytes", "B", "wal: record body size (default 1024)"),
            .flag("json", "bench place, bench wal: print the figures as JSON"),
        ]) { arguments in
        if arguments.positionals == ["place"] {
            let lookups = try arguments.integer("lookups", default: 1_000_000, in: 1_000...100_000_000)
            return PlacementBench(lookups: lookups).run(json: arguments.has("json"))
        }
        if arguments.positionals == ["wal"] { return try runWALBench(arguments) }
        guard arguments.positionals == ["detect"] else {
            throw UsageError("usage: mesh bench detect --nodes N --runs R [--serf], mesh bench place [--json], or mesh bench wal (see mesh bench --help)")
        }
        let nodes = try arguments.integer("nodes", default: 5, in: 3...100)
        let runs = try arguments.integer("runs", default: 5, in: 1...100)
        let idleSeconds = try arguments.integer("idle-seconds", default: 60, in: 1...3600)
        let preset = arguments.value("preset") ?? "lan"
        guard MembershipSettings.Preset(rawValue: preset) != nil else { throw UsageError("--preset must be lan, wan or local") }
        let firstText = arguments.value("first-ip") ?? "127.0.0.101"
        guard let first = Address.parseIPv4(firstText), first >> 24 == 127, Int(first & 0xFF) + nodes <= 255 else {
            throw UsageError("--first-ip must be a loopback address with room for \(nodes) nodes after it (got '\(firstText)')")
        }
        let port = try arguments.integer("port", default: 7946, in: 1...65534)
        var serf: SerfReference?
        if arguments.has("serf") {
            guard SerfReference.serfBinary() != nil else {
                throw UsageError("--serf: no serf on PATH (apt-get install -y serf)")
            }
            guard let scripts = SerfReference.findScripts(arguments.value("serf-dir")) else {
                throw UsageError("--serf: cannot find shared/bench/serf; give --serf-dir")
            }
            serf = SerfReference(scripts: scripts, state: "", nodes: nodes, profile: arguments.value("serf-profile") ?? "lan")
        }
        let bench = Bench(nodes: nodes, runs: runs, idleSeconds: idleSeconds, preset: preset, firstIP: first,
                          port: UInt16(port), authenticated: !arguments.has("no-key"))
        return bench.run(serf: serf)
    }
}

/// `mesh bench detect`: the mesh's figures, then Serf's, then the ratios.
struct Bench {
    let nodes: Int
    let runs: Int
    let idleSeconds: Int
    let preset: String
    let firstIP: UInt32
    let port: UInt16
    let authenticated: Bool

    /// What one system (the mesh or Serf) measured over all its runs.
    struct Figures {
        /// Per run: from the kill until the median observer reported the victim dead.
        var detectMedians: [Double] = []
        /// Per run: from the kill until every observer had (infinite when one never did).
        var detectAll: [Double] = []
        /// Observers, over all runs, that never reported the victim dead within the run's deadline.
        var missed = 0
        var idle: ProcessMeter.IdleCost?

        /// Counts one run's figures.
        mutating func add(_ run: DetectionSummary) {
            detectMedians.append(run.median)
            detectAll.append(run.all)
            missed += run.missed
        }

        /// The median over runs of the run medians.
        var detect: Double { DetectionRun.median(detectMedians) }
        /// The median over runs of the time until every observer saw the death.
        var all: Double { DetectionRun.median(detectAll) }

        /// `detect_s= all_s= all_max_s= missed=`, each key after `prefix`.
        func line(prefix: String = "") -> String {
            "\(prefix)detect_s=\(DetectionRun.seconds(detect)) \(prefix)all_s=\(DetectionRun.seconds(all)) "
                + "\(prefix)all_max_s=\(DetectionRun.seconds(detectAll.max() ?? .nan)) \(prefix)missed=\(missed)"
        }
    }

    static func out(_ line: String) {
        print(line)
        fflush(nil)
    }

    func run(serf reference: SerfReference?) -> Int32 {
        Bench.out("mesh bench detect: nodes=\(nodes) runs=\(runs) preset=\(preset) idle_s=\(idleSeconds) "
                  + "authenticated=\(authenticated ? "yes" : "no") binary=\(ChildProcess.currentExecutable())")
        guard let mesh = measureMesh() else { return 1 }
        Bench.out(mesh.line())
        if let idle = mesh.idle {
            Bench.out(String(format: "bytes_per_node_per_s=%.0f", idle.bytesPerNodePerSecond))
            Bench.out(String(format: "rss_kb=%.0f", idle.residentKilobytes))
            Bench.out(String(format: "cpu_pct=%.3f", idle.cpuPercent))
        }
        let serfMeasured = reference.map { measureSerf($0, beside: mesh) } ?? true
        guard mesh.missed == 0 else {
            printError("bench: \(mesh.missed) observer(s) never reported the victim dead within "
                       + "\(Int(DetectionRun.deadlineSeconds)) s (counted as inf above)")
            return 1
        }
        return serfMeasured ? 0 : 1
    }

    /// Serf's figures, measured the same way in the same run, and the ratios mesh / Serf; false
    /// when Serf could not be measured.
    private func measureSerf(_ given: SerfReference, beside mesh: Figures) -> Bool {
        let state = NSTemporaryDirectory() + "mesh-bench-serf-\(getpid())"
        let reference = SerfReference(scripts: given.scripts, state: state, nodes: given.nodes, profile: given.profile)
        defer { try? FileManager.default.removeItem(atPath: state) }
        Bench.out("serf: \(nodes) agents, profile \(reference.profile), scripts \(reference.scripts)")
        guard let serf = reference.run(runs: runs, idleSeconds: idleSeconds, log: Bench.out) else { return false }
        Bench.out(serf.line(prefix: "serf_"))
        guard let serfIdle = serf.idle else { return true }
        Bench.out(String(format: "serf_bytes_per_node_per_s=%.0f serf_rss_kb=%.0f serf_cpu_pct=%.3f",
                         serfIdle.bytesPerNodePerSecond, serfIdle.residentKilobytes, serfIdle.cpuPercent))
        if let idle = mesh.idle {
            Bench.out(String(format: "ratio_detect=%.2f ratio_all=%.2f ratio_bytes=%.2f ratio_rss=%.2f ratio_cpu=%.2f  (mesh / serf; lower is better)",
                             mesh.detect / serf.detect, mesh.all / serf.all,
                             idle.bytesPerNodePerSecond / serfIdle.bytesPerNodePerSecond,
                             idle.residentKilobytes / serfIdle.residentKilobytes, idle.cpuPercent / serfIdle.cpuPercent))
        }
        return true
    }

    private func measureMesh() -> Figures? {
        let names = (1...nodes).map { "n\($0)" }
        let cluster: LocalCluster
        do {
            cluster = try LocalCluster(names: names, firstIP: firstIP, port: port, preset: preset,
                                       authenticated: authenticated, purpose: "bench")
        } catch {
            printError("bench: \(error)")
            return nil
        }
        let interrupt = LocalCluster.onInterrupt { cluster.abort() }
        defer { withExtendedLifetime(interrupt) {} }
        defer { cluster.stop() }
        do {
            try cluster.start(0, seed: nil)
            for index in 1..<nodes { try cluster.start(index, seed: 0) }
        } catch {
            printError("bench: cannot start the nodes: \(error)")
            return nil
        }
        guard cluster.waitUntil(seconds: 60, { (0..<nodes).allSatisfy { cluster.status($0)?.count("alive") == nodes } }) else {
            printError("bench: the \(nodes) nodes did not all see each other within 60 s (logs in \(cluster.directory))")
            return nil
        }
        var figures = Figures()
        let victim = nodes - 1
        for run in 1...runs {
            let before = cluster.status(0)?.member(names[victim])?.incarnation ?? 0
            let summary = DetectionSummary(DetectionRun.measure(cluster: cluster, victim: victim))
            figures.add(summary)
            let restarted = SystemClock.monotonicNanoseconds()
            do {
                try cluster.start(victim, seed: 0)
            } catch {
                printError("bench: cannot restart the victim: \(error)")
                return nil
            }
            let rejoined = cluster.waitUntil(seconds: 60) {
                (0..<victim).allSatisfy { observer in
                    guard let member = cluster.status(observer)?.member(names[victim]) else { return false }
                    return member.state == "alive" && member.incarnation > before
                }
            }
            guard rejoined else {
                printError("bench: run \(run): the restarted victim was not alive everywhere within 60 s")
                return nil
            }
            let rejoin = Double(SystemClock.monotonicNanoseconds() - restarted) / 1e9
            Bench.out("run=\(run) \(summary.line) rejoin_s=\(DetectionRun.seconds(rejoin))")
        }
        figures.idle = ProcessMeter.idleCost(of: cluster.pids, seconds: Double(idleSeconds))
        return figures
    }
}
