import Foundation
import Glibc
import MeshCore
import MeshRuntime

extension MeshCommandLine {
    static let benchCommand = Command(
        name: "bench", summary: "measure failure detection and idle cost on real local nodes (optionally beside Serf), the write-ahead log, placement, or tasks",
        usage: "bench detect --nodes N --runs R [--serf] [--idle-seconds S] [--preset P]\n       mesh bench wal [--dir D] [--samples N] [--appenders 1,4,16,64] [--seconds S] [--record-bytes B] [--json]\n       mesh bench place [--lookups N] [--points-per-slot N] [--json]\n       mesh bench tasks [--nodes N] [--seconds S] [--connections C] [--dir D] [--node-binary PATH] [--json]\n       mesh bench transfer [--megabytes M] [--dir D] [--json]",
        options: [
            .value("nodes", "N", "nodes to start (default 5)"),
            .value("runs", "R", "kill-9 runs (default 5)"),
            .value("idle-seconds", "S", "idle window for traffic, memory and CPU (default 60)"),
            .value("preset", "P", "membership timing of the nodes (default adaptive)"),
            .value("first-ip", "A.B.C.D", "address of the first node (default 127.0.0.101)"),
            .value("port", "P", "gossip port (control API on P+1; default 7946)"),
            .flag("no-key", "run the nodes unauthenticated (default: a fresh key, as in production)"),
            .value("settle-seconds", "LOW-HIGH", "random wait before each kill once the victim is back (default 1-3; 0 for none)"),
            .flag("keep-logs", "keep the nodes' logs and data directories and print where they are"),
            .flag("serf", "also measure Serf the same way in the same run (needs only the serf binary: apt-get install -y serf)"),
            .value("serf-profile", "P", "Serf's timing profile (default lan)"),
            .value("serf-first-ip", "A.B.C.D", "address of the first Serf agent (default 127.0.0.11)"),
            .value("dir", "D", "wal: directory to measure in (default: the current one; a subdirectory is removed after)"),
            .value("samples", "N", "wal: append+fsync samples for the raw latency (default 1000)"),
            .value("appenders", "LIST", "wal: concurrent appender counts for group commit (default 1,4,16,64)"),
            .value("seconds", "S", "wal: seconds per group-commit run (default 2)"),
            .value("record-bytes", "B", "wal: record body size (default 1024)"),
            .value("lookups", "N", "place: lookups timed per ring size (default 1000000)"),
            .value("points-per-slot", "N", "place: virtual points per slot to measure (default: the protocol's)"),
            .value("connections", "C", "tasks: kept-alive submitting connections, spread over the nodes (default 2 per node)"),
            .value("node-binary", "PATH", "tasks: run the nodes from this mesh binary (another build, to compare two under one client)"),
            .value("megabytes", "M", "transfer: MiB of log output and of artifact (default 256)"),
            .flag("json", "wal, place, tasks, transfer: print one JSON object"),
        ]) { arguments in
        if arguments.positionals == ["wal"] { return try runWALBench(arguments) }
        if arguments.positionals == ["place"] {
            let lookups = try arguments.integer("lookups", default: 1_000_000, in: 1_000...100_000_000)
            var settings = PlacementSettings()
            settings.pointsPerSlot = try arguments.integer("points-per-slot", default: settings.pointsPerSlot, in: 1...4_096)
            return PlacementBench(lookups: lookups, settings: settings).run(json: arguments.has("json"))
        }
        if arguments.positionals == ["tasks"] { return try runTaskBench(arguments) }
        if arguments.positionals == ["transfer"] { return try runTransferBench(arguments) }   // --seconds: submitting window (default 30), --dir: where the nodes' data goes
        guard arguments.positionals == ["detect"] else {
            throw UsageError("usage: mesh bench detect --nodes N --runs R [--serf], mesh bench wal, or mesh bench place (see mesh bench --help)")
        }
        let nodes = try arguments.integer("nodes", default: 5, in: 3...100)
        let runs = try arguments.integer("runs", default: 5, in: 1...100)
        let idleSeconds = try arguments.integer("idle-seconds", default: 60, in: 1...3600)
        let preset = arguments.value("preset") ?? MembershipSettings.Preset.standard.rawValue
        guard MembershipSettings.Preset(rawValue: preset) != nil else {
            throw UsageError("--preset must be one of \(MembershipSettings.Preset.names) (got '\(preset)')")
        }
        let firstText = arguments.value("first-ip") ?? "127.0.0.101"
        guard let first = Address.parseIPv4(firstText), first >> 24 == 127, Int(first & 0xFF) + nodes <= 255 else {
            throw UsageError("--first-ip must be a loopback address with room for \(nodes) nodes after it (got '\(firstText)')")
        }
        let port = try arguments.integer("port", default: 7946, in: 1...65534)
        let settleText = arguments.value("settle-seconds") ?? "1-3"
        guard let settle = Bench.parseSettle(settleText) else {
            throw UsageError("--settle-seconds must be S or LOW-HIGH seconds, 0 to 60, low not above high (got '\(settleText)')")
        }
        var serf: SerfReference?
        if arguments.has("serf") {
            guard SerfReference.serfBinary() != nil else {
                throw UsageError("--serf: no serf on PATH (apt-get install -y serf)")
            }
            let serfFirstText = arguments.value("serf-first-ip") ?? "127.0.0.11"
            guard let serfFirst = Address.parseIPv4(serfFirstText), serfFirst >> 24 == 127, Int(serfFirst & 0xFF) + nodes <= 255 else {
                throw UsageError("--serf-first-ip must be a loopback address with room for \(nodes) agents after it (got '\(serfFirstText)')")
            }
            serf = SerfReference(serf: SerfReference.serfBinary() ?? "serf", nodes: nodes,
                                 profile: arguments.value("serf-profile") ?? "lan", firstIP: serfFirst)
        }
        let bench = Bench(nodes: nodes, runs: runs, idleSeconds: idleSeconds, preset: preset, firstIP: first,
                          port: UInt16(port), authenticated: !arguments.has("no-key"), keepsLogs: arguments.has("keep-logs"),
                          settleSeconds: settle)
        return bench.run(serf: serf)
    }
}

/// `mesh bench detect`: the mesh's figures, then Serf's, then the ratios.
struct Bench {
    /// The longest settle `--settle-seconds` accepts.
    static let settleSecondsMax = 60.0

    /// `S` or `LOW-HIGH` seconds within 0…`settleSecondsMax`; nil for anything else.
    static func parseSettle(_ text: String) -> ClosedRange<Double>? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Double($0) }
        guard (1...2).contains(parts.count), let low = parts.first!, let high = parts.last!,
              low >= 0, high >= low, high <= settleSecondsMax else { return nil }
        return low...high
    }

    let nodes: Int
    let runs: Int
    let idleSeconds: Int
    let preset: String
    let firstIP: UInt32
    let port: UInt16
    let authenticated: Bool
    /// Keep the cluster directory (each node's log shows when it suspected and declared the victim).
    var keepsLogs = false
    /// After the restarted victim is alive everywhere, the next kill waits a random delay in this
    /// range (seconds; `--settle-seconds`, default 1–3). Without it the kill lands just after the
    /// rejoin, when every observer has just put the victim back into its current probe pass at a
    /// random place among the members it has not probed yet, so it is probed sooner than at a
    /// random moment: detection measured 0.2–0.4 s faster than the same mesh killed at random
    /// moments (simulations/bench-5.json).
    var settleSeconds: ClosedRange<Double> = 1.0...3.0

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
        /// The 90th percentiles (nearest rank) over runs of the same, to set beside `mesh sim`'s
        /// `deadMedianObserverP90Seconds` and `deadEverywhereP90Seconds`.
        var detectP90: Double { DetectionRun.quantile(detectMedians, 0.9) }
        var allP90: Double { DetectionRun.quantile(detectAll, 0.9) }

        /// `detect_s= all_s= all_max_s= missed=`, each key after `prefix`.
        func line(prefix: String = "") -> String {
            "\(prefix)detect_s=\(DetectionRun.seconds(detect)) \(prefix)all_s=\(DetectionRun.seconds(all)) "
                + "\(prefix)all_max_s=\(DetectionRun.seconds(detectAll.max() ?? .nan)) \(prefix)missed=\(missed) "
                + "\(prefix)detect_p90_s=\(DetectionRun.seconds(detectP90)) \(prefix)all_p90_s=\(DetectionRun.seconds(allP90))"
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
    private func measureSerf(_ reference: SerfReference, beside mesh: Figures) -> Bool {
        Bench.out("serf: \(nodes) agents, profile \(reference.profile), binary \(reference.serf)")
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
            cluster.keepsDirectory = keepsLogs
            if keepsLogs { Bench.out("logs: \(cluster.directory)") }
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
            var generator = SystemRandomNumberGenerator()
            usleep(useconds_t(Double.random(in: settleSeconds, using: &generator) * 1_000_000))
            let healthBefore = (0..<victim).map { cluster.health($0)?.healthScore ?? -1 }.max() ?? -1
            let before = cluster.status(0)?.member(names[victim])?.incarnation ?? 0
            let summary = DetectionSummary(DetectionRun.measure(cluster: cluster, victim: victim))
            figures.add(summary)
            let healthAfter = (0..<victim).map { cluster.health($0)?.healthScore ?? -1 }.max() ?? -1
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
            Bench.out("run=\(run) \(summary.line) rejoin_s=\(DetectionRun.seconds(rejoin)) health_before=\(healthBefore) health_after=\(healthAfter)")
        }
        // Traffic from the nodes' own counters: two reads of /v1/health, at the ends of the window.
        figures.idle = ProcessMeter.idleCost(of: cluster.pids, seconds: Double(idleSeconds)) {
            IdleTraffic.mesh((0..<nodes).map { try? ControlClient(endpoint: cluster.httpEndpoint($0)).health() })
        }
        return figures
    }
}
