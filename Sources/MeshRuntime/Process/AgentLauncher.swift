import Foundation
import Glibc

/// Spawns supervisors from one long-lived thread. The kernel's parent-death signal fires when the
/// *thread* that forked a child exits, not the process; Dispatch's worker threads come and go, so a
/// supervisor spawned from one could kill its agent while the node lives on. This thread never ends.
final class AgentLauncher: @unchecked Sendable {
    private struct Request {
        var argv: [String]
        var environment: [String: String]
        var done: (Result<pid_t, SystemError>) -> Void
    }

    private let condition = NSCondition()
    private var requests: [Request] = []

    init() {
        let thread = Thread { [self] in loop() }
        thread.name = "mesh.agent-launcher"
        thread.start()
    }

    /// Spawns `argv` (with `environment`) on the launcher thread and waits for the outcome.
    func spawn(_ argv: [String], environment: [String: String]) throws(SystemError) -> pid_t {
        let finished = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: Result<pid_t, SystemError>?
        condition.withLock {
            requests.append(Request(argv: argv, environment: environment) { result in
                outcome = result
                finished.signal()
            })
            condition.signal()
        }
        finished.wait()
        return try outcome!.get()
    }

    private func loop() {
        while true {
            condition.lock()
            while requests.isEmpty { condition.wait() }
            let request = requests.removeFirst()
            condition.unlock()
            request.done(Result { () throws(SystemError) -> pid_t in try Self.spawnSupervisor(request.argv, request.environment) })
        }
    }

    /// A supervisor in a process group of its own (so a terminal's Ctrl-C reaches the node only),
    /// stdin from /dev/null, output inherited, signals at their defaults.
    private static func spawnSupervisor(_ argv: [String], _ environment: [String: String]) throws(SystemError) -> pid_t {
        let process = try ChildProcess.spawn(argv[0], Array(argv.dropFirst()), environment: environment)
        return process.pid
    }
}
