import Foundation
import Glibc
import MeshCore
import MeshRuntime

/// Nodes of this machine's own `mesh` binary, started as child processes on consecutive loopback
/// addresses (node `i` on FIRST+i, counting from 0, gossip on `port`, control API on `port + 1`), each with a data
/// directory under one temporary directory. Nodes are numbered from 0. For `mesh demo` and `mesh bench`.
///
/// Thread-safe (a lock guards the process table), so a signal handler on another queue can
/// `abort()` it while the main thread is polling. Every node runs with `--exit-with-parent`, so
/// even a SIGKILL of this process leaves no node running for long.
final class LocalCluster: @unchecked Sendable {
    /// The `mesh` binary nodes run (this one unless a caller points it at another build).
    var executable: String
    let directory: String
    /// Leave the directory (logs, data) in place at the end, for `mesh bench detect --keep-logs`.
    var keepsDirectory = false
    let names: [String]
    let firstIP: UInt32
    let port: UInt16
    let preset: String
    let keyFile: String?
    private let lock = NSLock()
    private var processes: [Int: ChildProcess] = [:]
    private var retired: [ChildProcess] = []
    private var isAborted = false

    /// Arguments every node's `mesh start` gets after the usual ones (a `--config`, say).
    var extraArguments: [String] = []

    /// Makes the temporary directory under `parent` (and a fresh key in it unless `authenticated` is false).
    init(names: [String], firstIP: UInt32, port: UInt16, preset: String, authenticated: Bool, purpose: String,
         parent: String = "/tmp") throws {
        executable = ChildProcess.currentExecutable()
        var template = Array("\(parent)/mesh-\(purpose)-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else { throw SystemError(call: "mkdtemp", code: errno) }
        directory = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        self.names = names
        self.firstIP = firstIP
        self.port = port
        self.preset = preset
        if authenticated {
            var generator = SystemRandomNumberGenerator()
            let path = directory + "/cluster.key"
            try Files.writeAtomically(path, Array((MeshKey.make(from: &generator).base64 + "\n").utf8), mode: 0o600)
            keyFile = path
        } else {
            keyFile = nil
        }
    }

    var count: Int { names.count }
    func address(_ index: Int) -> Address { Address(ipv4: firstIP + UInt32(index), port: port) }
    func httpEndpoint(_ index: Int) -> SocketEndpoint { .ipv4(Address(ipv4: firstIP + UInt32(index), port: port + 1)) }
    func logPath(_ index: Int) -> String { "\(directory)/\(names[index]).log" }

    /// Starts node `index`, joining through node `seed` when given.
    @discardableResult
    func start(_ index: Int, seed: Int?) throws -> ChildProcess {
        var arguments = ["start", "--name", names[index], "--bind", address(index).description,
                         "--http", httpEndpoint(index).description, "--data", "\(directory)/data-\(names[index])",
                         "--preset", preset, "--exit-with-parent"]
        if let seed { arguments += ["--join", address(seed).description] }
        if let keyFile { arguments += ["--key-file", keyFile] }
        arguments += extraArguments
        lock.lock()
        defer { lock.unlock() }
        guard !isAborted else { throw SystemError(call: "start", code: ECANCELED) }
        let process = try ChildProcess.spawn(executable, arguments, environment: ChildProcess.environment(),
                                             output: .file(logPath(index)))
        if let old = processes[index] { retired.append(old) }
        processes[index] = process
        return process
    }

    func process(_ index: Int) -> ChildProcess? {
        lock.lock()
        defer { lock.unlock() }
        return processes[index]
    }

    /// SIGKILL to node `index`, then reaps it; it no longer counts as running.
    func kill(_ index: Int) {
        lock.lock()
        let process = processes.removeValue(forKey: index)
        if let process { retired.append(process) }
        lock.unlock()
        process?.kill()
    }

    /// A node that should be running but has exited (a taken port, say), with its exit status.
    func firstExited() -> (name: String, status: Int32)? {
        lock.lock()
        defer { lock.unlock() }
        for (index, process) in processes.sorted(by: { $0.key < $1.key }) {
            if let status = process.exitStatus { return (names[index], status) }
        }
        return nil
    }

    /// The process ids of the running nodes.
    var pids: [pid_t] {
        lock.lock()
        defer { lock.unlock() }
        return processes.values.filter(\.isRunning).map(\.pid)
    }

    /// Node `index`'s `/v1/status`, or nil when it does not answer within `timeout`.
    func status(_ index: Int, timeout: Nanoseconds = .seconds(1)) -> StatusReport? {
        try? ControlClient(endpoint: httpEndpoint(index), timeout: timeout).status()
    }

    /// Node `index`'s `/v1/health`, or nil when it does not answer within `timeout`.
    func health(_ index: Int, timeout: Nanoseconds = .seconds(1)) -> HealthReport? {
        try? ControlClient(endpoint: httpEndpoint(index), timeout: timeout).health()
    }

    /// The state node `observer` reports for node `member`.
    func state(of member: Int, seenBy observer: Int) -> String? {
        status(observer)?.member(names[member])?.state
    }

    /// Polls `condition` every 100 ms until it holds (true), or `seconds` pass or a node exits (false).
    func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = SystemClock.monotonicNanoseconds() + Nanoseconds.seconds(fraction: seconds)
        while true {
            if condition() { return true }
            if SystemClock.monotonicNanoseconds() > deadline || firstExited() != nil { return false }
            usleep(100_000)
        }
    }

    /// Graceful stop: SIGTERM to every node (each leaves and exits), SIGKILL after `grace` seconds,
    /// then the directory is removed.
    func stop(grace: Double = 5) {
        let all = takeAll()
        for process in all { process.signal(SIGTERM) }
        for process in all where process.waitForExit(timeout: grace) == nil { process.kill() }
        removeDirectory()
    }

    /// Immediate stop for Ctrl-C and errors: SIGKILL to every node, then the directory is removed.
    func abort() {
        let all = takeAll()
        for process in all { process.signal(SIGKILL) }
        for process in all { _ = process.waitForExit(timeout: 5) }
        removeDirectory()
    }

    private func takeAll() -> [ChildProcess] {
        lock.lock()
        defer { lock.unlock() }
        isAborted = true
        let all = Array(processes.values) + retired
        processes.removeAll()
        retired.removeAll()
        return all
    }

    private func removeDirectory() {
        guard !keepsDirectory else { return }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// On SIGINT or SIGTERM, runs `cleanup` and exits 130. Returns the sources; keep them alive.
    static func onInterrupt(_ cleanup: @escaping @Sendable () -> Void) -> [DispatchSourceSignal] {
        let queue = DispatchQueue(label: "mesh.interrupt")
        return [SIGINT, SIGTERM].map { number in
            Glibc.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                FileHandle.standardError.write(Data("\nmesh: interrupted: stopping every node and cleaning up\n".utf8))
                cleanup()
                exit(130)
            }
            source.resume()
            return source
        }
    }
}
