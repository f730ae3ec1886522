import Foundation
import Glibc
import MeshCore
import MeshRuntime

/// `mesh bench tasks`: the task path's figures on a loopback mesh of real nodes with their data
/// on this disk (issue 9's benchmark). Phases, in order:
///
/// 1. raw fsync latency of this disk (append 1 KiB + fsync, one at a time);
/// 2. submissions for `seconds` over kept-alive connections spread over every node, each on a
///    thread of its own, plus where the time went (the nodes' timing counters): submit →
///    accepted latency (p50, p99) and accepted tasks per second (overall and the slowest whole
///    second). The tasks go to `holdProfiles` profiles whose agents sleep, so execution costs
///    nothing after the first few and each profile's bounded queue (`TaskSettings.queueMax` per
///    owner) is not what the figure measures;
/// 3. (run first, on a fresh mesh) `executeTasks` tasks of a no-op profile: executed tasks per second, and how many of them were
///    forwarded more than once (the nodes' `tasksForwardedAgain` counters);
/// 4. (run second) an executor's SIGKILL: the time until its task runs again on another node,
///    beside the time until the others hold it dead; the node is then restarted, so the
///    submission phase runs on all the nodes.
struct TaskBench {
    /// Profiles the submission phase spreads its tasks over (a node runs at most 16 profiles; two
    /// more are the no-op and the long one).
    static let holdProfiles = 14
    /// Tasks of the no-op profile in phase 3.
    static let executeTasks = 400
    /// Distinct refusal reasons each submitting thread keeps.
    static let reasonsKept = 8
    /// fsync samples in phase 1.
    static let fsyncSamples = 200

    let nodes: Int
    let seconds: Int
    let connections: Int
    let parent: String
    let firstIP: UInt32
    let port: UInt16
    let preset: String
    /// The binary the nodes run; nil: this one.
    var nodeBinary: String? = nil

    /// What the phases measured.
    struct Figures {
        var fsyncMs: [Double] = []
        var latencyMs: [Double] = []
        var accepted = 0
        var refused: [Int: Int] = [:]
        var failed = 0
        var submitSeconds = 0.0
        var perSecond: [Int] = []
        var reconnects = 0
        var forwardsPerTask = 0.0
        var executed = 0
        var executeSeconds = 0.0
        var forwards = 0
        /// Forwards of a submission already forwarded once (the nodes' `tasksForwardedAgain`).
        var forwardedAgain = 0
        /// What the no-op submissions got besides 201, by status, and how many got no answer.
        var executeRefused: [Int: Int] = [:]
        var executeFailed = 0
        /// Why submissions were refused (the answers' `error`), both phases, with counts.
        var reasons: [String: Int] = [:]
        var rerunSeconds: Double?
        var deadSeconds: Double?
        var load = ""
        /// The nodes' health counters, summed, over the submission phase (after minus before).
        var counters: [String: UInt64] = [:]
        /// CPU seconds (user + system) over the submission phase: all the nodes together, and
        /// this process (the submitting client). Unlike the rates, barely moved by other load.
        var nodeCPUSeconds = 0.0
        var clientCPUSeconds = 0.0
    }

    /// The profiles every node runs.
    var config: String {
        var profiles = (0..<Self.holdProfiles).map { #"{"name": "hold\#($0)", "command": ["/bin/sleep", "3600"], "slots": 1}"# }
        profiles.append(#"{"name": "noop", "command": ["/bin/true"], "slots": 8}"#)
        profiles.append(#"{"name": "long", "command": ["/bin/sleep", "600"], "slots": 2}"#)
        return "{\"profiles\": [\n  " + profiles.joined(separator: ",\n  ") + "\n]}\n"
    }

    /// Starts the mesh, runs every phase, stops the mesh; prints the figures.
    func run(json: Bool) throws -> Int32 {
        let cluster = try LocalCluster(names: (1...nodes).map { "bench\($0)" }, firstIP: firstIP, port: port, preset: preset,
                                       authenticated: true, purpose: "bench-tasks", parent: parent)
        if let nodeBinary { cluster.executable = nodeBinary }
        let interrupt = LocalCluster.onInterrupt { cluster.abort() }
        defer { cluster.stop(grace: 2); _ = interrupt }
        try Files.writeAtomically(cluster.directory + "/profiles.json", Array(config.utf8))
        cluster.extraArguments = ["--config", cluster.directory + "/profiles.json"]
        for index in 0..<nodes { try cluster.start(index, seed: index == 0 ? nil : 0) }
        guard allAlive(cluster, seenBy: 0) else {
            let exited = cluster.firstExited()
            let index = exited.flatMap { cluster.names.firstIndex(of: $0.name) } ?? 0
            let tail = ((try? Files.readText(cluster.logPath(index), bytesMax: 1 << 20)) ?? "").split(separator: "\n").suffix(5)
            printError("the \(nodes) nodes did not all join within 30 s" + (exited.map { "; \($0.name) exited \($0.status)" } ?? "")
                + ":\n" + tail.joined(separator: "\n"))
            return 1
        }
        var figures = Figures()
        figures.fsyncMs = try fsyncLatencies(in: cluster.directory)
        // Execution and the SIGKILL first, on a mesh that holds nothing yet: after the submission
        // phase every node holds thousands of queued tasks, and those figures would measure that.
        log(json, "fsync measured; running \(Self.executeTasks) no-op tasks…")
        executePhase(cluster, into: &figures)
        log(json, "killing an executor…")
        if let victim = killPhase(cluster, into: &figures) {
            let observer = victim == 0 ? 1 : 0
            _ = try? cluster.start(victim, seed: observer)
            guard allAlive(cluster, seenBy: observer) else {
                printError("\(cluster.names[victim]) did not come back after its SIGKILL within 30 s")
                return 1
            }
        }
        log(json, "submitting for \(seconds) s over \(connections) kept-alive connections…")
        let countersBefore = summedCounters(cluster)
        let pids = cluster.pids
        let cpuBefore = (nodes: Self.cpuSeconds(of: pids), client: Self.ownCPUSeconds())
        submitPhase(cluster, into: &figures)
        figures.nodeCPUSeconds = Self.cpuSeconds(of: pids) - cpuBefore.nodes
        figures.clientCPUSeconds = Self.ownCPUSeconds() - cpuBefore.client
        let countersAfter = summedCounters(cluster)
        for (name, value) in countersAfter { figures.counters[name] = value &- (countersBefore[name] ?? 0) }
        figures.forwardsPerTask = Double(figures.counters["tasksForwarded"] ?? 0) / Double(max(1, figures.accepted))
        figures.load = Self.loadAverage()
        if json { print(jsonFigures(figures).serialized(pretty: true)) } else { printText(figures) }
        return 0
    }

    /// Waits up to 30 s until node `observer` sees every node alive with its capacity record.
    func allAlive(_ cluster: LocalCluster, seenBy observer: Int) -> Bool {
        cluster.waitUntil(seconds: 30) {
            guard let status = cluster.status(observer) else { return false }
            return status.members.count == nodes && status.members.allSatisfy { $0.state == "alive" && $0.capacity != nil }
        }
    }

    private func log(_ json: Bool, _ line: String) {
        if !json { FileHandle.standardError.write(Data(("bench: " + line + "\n").utf8)) }
    }

    /// Append 1 KiB and fsync, `fsyncSamples` times, in a file beside the nodes' data.
    func fsyncLatencies(in directory: String) throws -> [Double] {
        let path = directory + "/fsync-probe"
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemError(call: "open", code: errno) }
        defer { close(fd); unlink(path) }
        let record = [UInt8](repeating: 0x61, count: 1_024)
        var samples: [Double] = []
        for _ in 0..<Self.fsyncSamples {
            let start = SystemClock.monotonicNanoseconds()
            guard record.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == record.count, fsync(fd) == 0 else {
                throw SystemError(call: "write+fsync", code: errno)
            }
            samples.append(Double(SystemClock.monotonicNanoseconds() - start) / 1e6)
        }
        return samples
    }

    /// Every node's health counters, summed by name.
    func summedCounters(_ cluster: LocalCluster) -> [String: UInt64] {
        var sums: [String: UInt64] = [:]
        for index in 0..<cluster.count {
            for (name, value) in (try? ControlClient(endpoint: cluster.httpEndpoint(index)).health())?.counters ?? [:] {
                sums[name, default: 0] &+= value
            }
        }
        return sums
    }

    /// User + system CPU seconds of `pids`, summed.
    static func cpuSeconds(of pids: [pid_t]) -> Double {
        Double(pids.reduce(0) { $0 + (ProcessMeter.cpuTicks($1) ?? 0) }) / ProcessMeter.ticksPerSecond
    }

    /// User + system CPU seconds of this process so far.
    static func ownCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// `uptime`'s load averages.
    static func loadAverage() -> String {
        ((try? Files.readText("/proc/loadavg", bytesMax: 256)) ?? "").split(separator: " ").prefix(3).joined(separator: " ")
    }

    static func quantile(_ values: [Double], _ q: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))]
    }
}
