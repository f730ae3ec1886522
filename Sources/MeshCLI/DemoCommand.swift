import Foundation
import Glibc
import MeshCore
import MeshRuntime

extension MeshCommandLine {
    static let demoCommand = Command(
        name: "demo", summary: "start 3 local nodes, kill one, watch it be declared dead and rejoin, clean up",
        usage: "demo [--first-ip A.B.C.D] [--port P] [--preset P]",
        options: [
            .value("first-ip", "A.B.C.D", "address of the first node; the others follow it (default 127.0.0.201)"),
            .value("port", "P", "gossip port of every node; the control API uses P+1 (default 7946)"),
            .value("preset", "P", "membership timing (default local: one machine)"),
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
        let interrupt = LocalCluster.onInterrupt { cluster.abort() }
        defer { withExtendedLifetime(interrupt) {} }
        let demo = Demo(cluster: cluster)
        do {
            try demo.run()
            say("stopping: every node leaves gracefully")
            cluster.stop()
            say("done: every node exited and \(cluster.directory) is removed")
            return 0
        } catch let failure as Demo.Failure {
            printError("demo: \(failure.message)")
            printError("demo: last log lines:\n" + demo.logTails())
            cluster.abort()
            return 1
        }
    }

    /// One narrated step of the demo.
    static func say(_ line: String) {
        print("==> " + line)
        fflush(nil)
    }
}

/// The demo's script: start, show, kill, show, restart, show.
struct Demo {
    struct Failure: Error { var message: String }

    let cluster: LocalCluster
    let alpha = 0, beta = 1, gamma = 2

    func run() throws {
        let say = MeshCommandLine.say
        say("mesh demo: 3 nodes on \(cluster.address(alpha).host)-\(cluster.address(gamma).host) as child processes "
            + "(preset \(cluster.preset), authenticated with a fresh key); data and logs in \(cluster.directory)")
        try start(alpha, seed: nil)
        try start(beta, seed: alpha)
        try start(gamma, seed: alpha)
        let joined = try timed("every node to see all three alive", seconds: 20) {
            [alpha, beta, gamma].allSatisfy { cluster.status($0)?.count("alive") == 3 }
        }
        say(String(format: "alpha, beta and gamma see each other after %.1f s:", joined))
        show(alpha)

        guard let victim = cluster.process(gamma) else { throw Failure(message: "gamma is not running") }
        let before = cluster.status(alpha)?.member("gamma")?.incarnation ?? 0
        say("killing gamma with SIGKILL (pid \(victim.pid)): no goodbye, as if its machine lost power")
        cluster.kill(gamma)
        var seen: [String] = []
        let detected = try timed("alpha and beta to report gamma dead", seconds: 30) {
            for (observer, name) in [(alpha, "alpha"), (beta, "beta")] where !seen.contains(name) {
                if cluster.state(of: gamma, seenBy: observer) == "dead" { seen.append(name) }
            }
            return seen.count == 2
        }
        say(String(format: "%@ reported gamma dead %.1f s after the kill (probe, suspicion, confirmation):",
                   seen.joined(separator: " then "), detected))
        show(alpha)

        say("restarting gamma with the same data directory: same name, higher incarnation")
        try start(gamma, seed: alpha)
        let rejoined = try timed("alpha and beta to see gamma alive again", seconds: 30) {
            [alpha, beta].allSatisfy { observer in
                guard let member = cluster.status(observer)?.member("gamma") else { return false }
                return member.state == "alive" && member.incarnation > before
            }
        }
        let after = cluster.status(alpha)?.member("gamma")?.incarnation ?? 0
        say(String(format: "gamma is alive again at incarnation %llu (was %llu), %.1f s after its restart:", after, before, rejoined))
        show(gamma)
    }

    private func start(_ index: Int, seed: Int?) throws {
        do {
            try cluster.start(index, seed: seed)
        } catch {
            throw Failure(message: "cannot start \(cluster.names[index]): \(error)")
        }
    }

    /// Polls until `condition` holds; the seconds it took, or a failure naming `what`.
    private func timed(_ what: String, seconds: Double, _ condition: () -> Bool) throws -> Double {
        let start = SystemClock.monotonicNanoseconds()
        guard cluster.waitUntil(seconds: seconds, condition) else {
            if let (name, status) = cluster.firstExited() {
                throw Failure(message: "\(name) exited with status \(status) while waiting for \(what) (address taken? try --first-ip 127.0.0.x or --port P)")
            }
            throw Failure(message: "gave up after \(Int(seconds)) s waiting for \(what)")
        }
        return Double(SystemClock.monotonicNanoseconds() - start) / 1e9
    }

    private func show(_ index: Int) {
        guard let report = cluster.status(index) else { return }
        print("")
        print(StatusTable.render(report).split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        print("")
    }

    func logTails() -> String {
        (0..<cluster.count).map { index in
            let text = (try? String(contentsOfFile: cluster.logPath(index), encoding: .utf8)) ?? ""
            return "--- \(cluster.names[index]) ---\n" + text.split(separator: "\n").suffix(8).joined(separator: "\n")
        }.joined(separator: "\n")
    }
}
