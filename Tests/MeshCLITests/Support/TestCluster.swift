import Foundation
import Glibc
import MeshCore
import MeshRuntime
import Testing

/// Real `mesh start` processes for one test, on addresses of their own: node `i` listens on
/// 127.0.SUBNET.i (gossip on `port`, control API on `port + 1`). Each test picks its own subnet,
/// so tests running in parallel never share an address; the port depends on the test process id,
/// so two test runs on one machine do not collide either.
///
/// Every node runs with `--exit-with-parent`, and `shutdown()` kills every process and removes the
/// temporary directory; call it in a `defer` right after creating the cluster.
final class TestCluster: @unchecked Sendable {
    struct Node {
        var name: String
        var index: Int
        var process: ChildProcess
        var arguments: [String]
    }

    let subnet: Int
    let port: Int
    let directory: String
    /// A command put before `mesh` (for example `ip netns exec NS`), and how status is fetched then.
    let launcher: [String]
    private let lock = NSLock()
    private var nodes: [String: Node] = [:]
    private var retired: [ChildProcess] = []

    static let basePort = 12_000 + Int(getpid() % 10_000) * 2

    init(subnet: Int, launcher: [String] = []) throws {
        precondition((1...254).contains(subnet), "subnet \(subnet)")
        self.subnet = subnet
        self.port = TestCluster.basePort
        self.launcher = launcher
        var template = Array("/tmp/mesh-test-\(subnet)-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else { throw SystemError(call: "mkdtemp", code: errno) }
        directory = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    func ip(_ index: Int) -> String { "127.0.\(subnet).\(index)" }
    func address(_ index: Int) -> String { "\(ip(index)):\(port)" }
    func httpAddress(_ index: Int) -> String { "\(ip(index)):\(port + 1)" }
    func dataDirectory(_ name: String) -> String { "\(directory)/data-\(name)" }
    func logPath(_ name: String) -> String { "\(directory)/\(name).log" }

    /// Starts `mesh start` for node `name` at index `index`, joining through the nodes at `join`.
    @discardableResult
    func start(_ name: String, index: Int, join: [Int] = [], preset: String = "lan", keyFile: String? = nil,
               extra: [String] = [], environment: [String: String] = [:]) throws -> ChildProcess {
        var arguments = ["start", "--name", name, "--bind", address(index), "--http", httpAddress(index),
                         "--data", dataDirectory(name), "--preset", preset, "--exit-with-parent", "--log-level", "debug"]
        for seed in join { arguments += ["--join", address(seed)] }
        if let keyFile { arguments += ["--key-file", keyFile] }
        arguments += extra
        return try launch(name, index: index, arguments: arguments, environment: environment)
    }

    /// Runs `mesh` with any arguments as node `name` (its output goes to the node's log).
    @discardableResult
    func launch(_ name: String, index: Int, arguments: [String], environment: [String: String] = [:]) throws -> ChildProcess {
        let executable = launcher.first ?? MeshBinary.path
        let argv = launcher.isEmpty ? arguments : Array(launcher.dropFirst()) + [MeshBinary.path] + arguments
        let variables = ChildProcess.environment().merging(environment) { $1 }
        let process = try ChildProcess.spawn(executable, argv, environment: variables, output: .file(logPath(name)))
        lock.lock()
        if let old = nodes[name] { retired.append(old.process) }
        nodes[name] = Node(name: name, index: index, process: process, arguments: arguments)
        lock.unlock()
        return process
    }

    func process(_ name: String) -> ChildProcess? {
        lock.lock()
        defer { lock.unlock() }
        return nodes[name]?.process
    }

    private func node(_ name: String) -> Node? {
        lock.lock()
        defer { lock.unlock() }
        return nodes[name]
    }

    /// SIGKILL, then reap.
    func kill(_ name: String) { process(name)?.kill() }

    /// What node `name` reports at `/v1/status`, or nil when it does not answer.
    func status(_ name: String) -> StatusReport? {
        guard let node = node(name) else { return nil }
        if launcher.isEmpty {
            let client = ControlClient(endpoint: SocketEndpoint(parsing: httpAddress(node.index))!, timeout: .seconds(1))
            return try? client.status()
        }
        guard let body = runInLauncher(["status", "--json", "--http", httpAddress(node.index)]) else { return nil }
        return (try? JSONValue.parse(body)).flatMap { try? StatusReport(json: $0) }
    }

    /// What node `name` reports at `/v1/health`, or nil when it does not answer.
    func health(_ name: String) -> HealthReport? {
        guard let node = node(name), launcher.isEmpty else { return nil }
        let client = ControlClient(endpoint: SocketEndpoint(parsing: httpAddress(node.index))!, timeout: .seconds(1))
        return try? client.health()
    }

    /// The state `observer` reports for `member` ("alive", "dead", …), or nil.
    func state(of member: String, seenBy observer: String) -> String? {
        status(observer)?.member(member)?.state
    }

    /// Runs `mesh ARGUMENTS` through the launcher and returns its standard output when it exits 0.
    func runInLauncher(_ arguments: [String], timeout: TimeInterval = 5, environment: [String: String] = [:]) -> String? {
        let (status, output) = runCapturing(arguments, timeout: timeout, environment: environment)
        return status == 0 ? output : nil
    }

    /// Runs `mesh ARGUMENTS` through the launcher: its exit status (nil when it could not be started
    /// or did not exit within `timeout`, and was killed) and everything it printed. For checks that
    /// a command fails, which must tell "refused as expected" from "did not run at all".
    func runCapturing(_ arguments: [String], timeout: TimeInterval = 5,
                      environment: [String: String] = [:]) -> (status: Int32?, output: String) {
        let output = "\(directory)/cli-\(UUID().uuidString).out"
        defer { unlink(output) }
        let executable = launcher.first ?? MeshBinary.path
        let argv = launcher.isEmpty ? arguments : Array(launcher.dropFirst()) + [MeshBinary.path] + arguments
        let variables = ChildProcess.environment().merging(environment) { $1 }
        guard let process = try? ChildProcess.spawn(executable, argv, environment: variables,
                                                    output: .file(output)) else { return (nil, "cannot start mesh") }
        let status = process.waitForExit(timeout: timeout)
        if status == nil { process.kill() }
        return (status, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }

    /// Polls `condition` every `interval` until it holds or `timeout` passes. Records an issue naming
    /// `what` (with the tail of every node's log) on timeout. Returns the seconds it took, or nil.
    @discardableResult
    func waitUntil(_ what: @autoclosure () -> String, timeout: TimeInterval, interval: TimeInterval = 0.1,
                   sourceLocation: SourceLocation = #_sourceLocation, _ condition: () -> Bool) -> TimeInterval? {
        let start = Date()
        while true {
            if condition() { return Date().timeIntervalSince(start) }
            if Date().timeIntervalSince(start) > timeout {
                Issue.record("timed out after \(timeout)s waiting until \(what())\n\(logTails())", sourceLocation: sourceLocation)
                return nil
            }
            usleep(useconds_t(interval * 1_000_000))
        }
    }

    /// The last lines of every node's log, for failure messages.
    func logTails(lines: Int = 12) -> String {
        lock.lock()
        let names = nodes.keys.sorted()
        lock.unlock()
        return names.map { name in
            let text = (try? String(contentsOfFile: logPath(name), encoding: .utf8)) ?? ""
            return "--- \(name) ---\n" + text.split(separator: "\n").suffix(lines).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    func log(_ name: String) -> String { (try? String(contentsOfFile: logPath(name), encoding: .utf8)) ?? "" }

    /// Kills every process this cluster started and removes its directory.
    func shutdown() {
        lock.lock()
        let processes = nodes.values.map(\.process) + retired
        nodes.removeAll()
        retired.removeAll()
        lock.unlock()
        for process in processes { process.signal(SIGKILL) }
        for process in processes { _ = process.waitForExit(timeout: 5) }
        if ProcessInfo.processInfo.environment["AGENTMESH_TEST_KEEP"] == nil {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}
