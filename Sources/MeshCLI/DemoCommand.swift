import Foundation
import Glibc
import MeshCore
import MeshRuntime

extension MeshCommandLine {
    static let demoCommand = Command(
        name: "demo", summary: "the whole story on 3 local nodes: a relay of 3 agent tasks, a node killed mid-task, the evidence",
        usage: "demo [--first-ip A.B.C.D] [--port P] [--preset P] [--keep] [--json]",
        options: [
            .value("first-ip", "A.B.C.D", "address of the first node; the others follow it (default 127.0.0.201)"),
            .value("port", "P", "gossip port of every node; the control API uses P+1 (default 7946)"),
            .value("preset", "P", "membership timing (default local: one machine)"),
            .flag("keep", "keep the temporary directory (node data, workspaces, logs, downloads) and print its path"),
            .flag("json", "print one JSON summary on standard output (the narration goes to standard error)"),
        ]) { arguments in
        try expectNoArguments(arguments, command: "demo")
        let firstText = arguments.value("first-ip") ?? "127.0.0.201"
        guard let first = Address.parseIPv4(firstText), first >> 24 == 127, first & 0xFF <= 250 else {
            throw UsageError("--first-ip must be a loopback address 127.x.y.z with z at most 250 (got '\(firstText)')")
        }
        let port = try arguments.integer("port", default: 7946, in: 1...65534)
        let preset = arguments.value("preset") ?? "local"
        guard MembershipSettings.Preset(rawValue: preset) != nil else {
            throw UsageError("--preset must be one of \(MembershipSettings.Preset.names) (got '\(preset)')")
        }
        let cluster = try LocalCluster(names: ["alpha", "beta", "gamma"], firstIP: first, port: UInt16(port),
                                       preset: preset, authenticated: true, purpose: "demo")
        cluster.keepsDirectory = arguments.has("keep")
        let interrupt = LocalCluster.onInterrupt { cluster.abort() }
        defer { withExtendedLifetime(interrupt) {} }
        return Demo(cluster: cluster, json: arguments.has("json")).perform()
    }
}

/// The demo's script: three nodes, a relay of three tasks with a node killed under the second,
/// then the evidence. Used from the main thread only (the interrupt handler touches only the cluster).
final class Demo {
    struct Failure: Error { var message: String }

    let cluster: LocalCluster
    let json: Bool
    var shell: DemoShell { DemoShell(executable: cluster.executable, directory: cluster.directory, echo: emit) }
    /// Whether this build has the data plane (`mesh logs`, `mesh artifacts`, `mesh submit --attach`);
    /// without it the demo reads logs and artifacts from the nodes' workspaces and passes outputs in the prompt.
    var hasDataPlane = true
    /// Nodes killed so far (indices).
    var killed: [Int] = []
    /// The kill, once it happened.
    var kill: DemoKill?
    /// The tasks that ended, in relay order.
    var evidence: [DemoTaskEvidence] = []

    init(cluster: LocalCluster, json: Bool) {
        self.cluster = cluster
        self.json = json
    }

    /// Runs the story, stops the nodes, prints the evidence (or the JSON summary); the exit status.
    func perform() -> Int32 {
        let started = SystemClock.monotonicNanoseconds()
        var failure: String?
        do {
            try run()
        } catch let error as Failure {
            failure = error.message
        } catch {
            failure = "\(error)"
        }
        if let failure {
            printError("demo: failed: \(failure)")
            printError("demo: last lines of each node's log:\n" + logTails())
            cluster.abort()
        } else {
            note("stopping: every node leaves gracefully")
            cluster.stop()
        }
        let seconds = Double(SystemClock.monotonicNanoseconds() - started) / 1e9
        let kept = cluster.keepsDirectory ? "kept \(cluster.directory) (--keep)" : "\(cluster.directory) is removed"
        if json {
            print(summaryJSON(evidence, seconds: seconds, error: failure).serialized(pretty: true))
        } else if failure == nil {
            print(Self.evidenceText(evidence))
            print("")
        }
        note(String(format: "%@ after %.1f s: every node exited and %@", failure == nil ? "done" : "stopped", seconds, kept))
        return failure == nil ? 0 : 1
    }

    private func run() throws {
        let configPath = try DemoAgents.write(into: cluster.directory)
        cluster.extraArguments = ["--config", configPath]
        hasDataPlane = try shell.run(["logs", "--help"], quiet: true).status == 0
        note("mesh demo: 3 nodes on \(cluster.address(0).host)-\(cluster.address(2).host) as child processes "
             + "(preset \(cluster.preset), a fresh key); data and logs in \(cluster.directory)")
        note("each node offers the profiles research, review and final, run by a stand-in agent script (\(cluster.directory)/agent.sh)")
        for index in 0..<cluster.count {
            do { try cluster.start(index, seed: index == 0 ? nil : 0) } catch {
                throw Failure(message: "cannot start \(cluster.names[index]): \(error)")
            }
        }
        let start = SystemClock.monotonicNanoseconds()
        guard cluster.waitUntil(seconds: 20, { (0..<cluster.count).allSatisfy { cluster.status($0)?.count("alive") == 3 } }) else {
            if let (name, status) = cluster.firstExited() {
                throw Failure(message: "\(name) exited with status \(status) while starting (address taken? try --first-ip 127.0.0.x or --port P)")
            }
            throw Failure(message: "the three nodes did not all see each other alive within 20 s")
        }
        note(String(format: "alpha, beta and gamma see each other after %.1f s", Double(SystemClock.monotonicNanoseconds() - start) / 1e9))
        try relay()
    }

    /// One narrated step (on standard error with `--json`, so standard output holds only the JSON).
    func note(_ line: String) { emit("==> " + line) }

    /// An indented line under a step.
    func detail(_ line: String) { emit("    " + line) }

    func emit(_ line: String) {
        if json { FileHandle.standardError.write(Data((line + "\n").utf8)) } else { print(line) }
        fflush(nil)
    }

    func logTails() -> String {
        (0..<cluster.count).map { index in
            let text = (try? String(contentsOfFile: cluster.logPath(index), encoding: .utf8)) ?? ""
            return "--- \(cluster.names[index]) ---\n" + text.split(separator: "\n").suffix(8).joined(separator: "\n")
        }.joined(separator: "\n")
    }
}
