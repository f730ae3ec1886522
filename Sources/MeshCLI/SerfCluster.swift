import Foundation
import Glibc
import MeshCore
import MeshRuntime

/// Serf agents started by `mesh bench detect --serf`, from nothing but the `serf` binary: agent
/// `i` (from 0) is `n<i+1>` on FIRST+i:7946 with its RPC on FIRST+i:7373, each with the config
/// file this class writes (its telemetry goes to `metrics`), logs in a temporary directory.
/// Only processes it started are ever signalled, by their pid. Thread-safe.
final class SerfCluster: @unchecked Sendable {
    let serf: String
    let count: Int
    let profile: String
    let firstIP: UInt32
    let directory: String
    let metrics: SerfMetricsSink
    private let lock = NSLock()
    private var processes: [Int: ChildProcess] = [:]
    private var retired: [ChildProcess] = []

    /// Makes the directory and the agents' config file and starts listening for their metrics.
    init(serf: String, count: Int, profile: String, firstIP: UInt32) throws {
        self.serf = serf
        self.count = count
        self.profile = profile
        self.firstIP = firstIP
        var template = Array("/tmp/mesh-bench-serf-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else { throw SystemError(call: "mkdtemp", code: errno) }
        directory = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        metrics = try SerfMetricsSink()
        let config = JSONValue.object([("statsite_addr", .string(metrics.address))]).serialized() + "\n"
        try Files.writeAtomically(configPath, Array(config.utf8), mode: 0o600)
    }

    var configPath: String { directory + "/serf.json" }
    func name(_ index: Int) -> String { "n\(index + 1)" }
    func ip(_ index: Int) -> String {
        let value = firstIP + UInt32(index)
        return [24, 16, 8, 0].map { String((value >> UInt32($0)) & 0xFF) }.joined(separator: ".")
    }
    func logPath(_ index: Int) -> String { "\(directory)/\(name(index)).log" }

    /// Starts agent `index`, joining through agent `seed` when given.
    func start(_ index: Int, seed: Int?) throws {
        var arguments = ["agent", "-node=\(name(index))", "-bind=\(ip(index)):7946", "-advertise=\(ip(index))",
                         "-rpc-addr=\(ip(index)):7373", "-profile=\(profile)", "-config-file=\(configPath)"]
        if let seed { arguments.append("-join=\(ip(seed)):7946") }
        let process = try ChildProcess.spawn(serf, arguments, output: .file(logPath(index)))
        lock.lock()
        defer { lock.unlock() }
        if let old = processes[index] { retired.append(old) }
        processes[index] = process
    }

    /// SIGKILL to agent `index`, then reaps it.
    func kill(_ index: Int) {
        lock.lock()
        let process = processes.removeValue(forKey: index)
        if let process { retired.append(process) }
        lock.unlock()
        process?.kill()
    }

    /// The pids of the running agents.
    var pids: [pid_t] {
        lock.lock()
        defer { lock.unlock() }
        return processes.values.filter(\.isRunning).map(\.pid)
    }

    /// Member name → status (`alive`, `failed`, `left`) as agent `observer` reports it
    /// (`serf members -format=json`), or nil when it does not answer.
    func members(seenBy observer: Int) -> [String: String]? {
        let output = "\(directory)/members-\(observer)-\(UUID().uuidString).json"
        defer { unlink(output) }
        guard let process = try? ChildProcess.spawn(serf, ["members", "-rpc-addr=\(ip(observer)):7373", "-format=json"],
                                                    output: .file(output)) else { return nil }
        guard process.waitForExit(timeout: 5) == 0,
              let text = try? Files.readText(output, bytesMax: 16 << 20),
              let list = (try? JSONValue.parse(text))?["members"]?.array else {
            if process.isRunning { process.kill() }
            return nil
        }
        var result: [String: String] = [:]
        for member in list {
            if let name = member["name"]?.string, let status = member["status"]?.string { result[name] = status }
        }
        return result
    }

    /// Polls `condition` every 100 ms until it holds (true) or `seconds` pass (false).
    func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = SystemClock.monotonicNanoseconds() + Nanoseconds.seconds(fraction: seconds)
        while true {
            if condition() { return true }
            if SystemClock.monotonicNanoseconds() > deadline { return false }
            usleep(100_000)
        }
    }

    /// SIGTERM to every agent, SIGKILL after `grace` seconds; stops the sink, removes the directory.
    func stop(grace: Double = 5) {
        lock.lock()
        let all = Array(processes.values) + retired
        processes.removeAll()
        retired.removeAll()
        lock.unlock()
        for process in all { process.signal(SIGTERM) }
        for process in all where process.waitForExit(timeout: grace) == nil { process.kill() }
        metrics.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
