import Foundation
import Glibc
import MeshCore
import MeshRuntime

/// The middle of the story: the node running an agent dies, and the mesh finishes the task elsewhere.
extension Demo {
    /// Longest the demo waits for the task to start and print its first progress lines.
    static let startSecondsMax: Double = 20
    /// Progress lines the agent must have printed (read live through another node) before its node is killed.
    static let linesBeforeKill = 2

    /// Waits until the task runs and its log shows progress (read through another node with
    /// `mesh logs`), shows those lines, then SIGKILLs the executing node.
    func killExecutor(of id: TaskID) throws {
        var running: (node: String, attempt: Int64)?
        guard cluster.waitUntil(seconds: Self.startSecondsMax, {
            running = record(id).flatMap(Self.executor)
            return running != nil
        }), let (node, attempt) = running, let victim = cluster.names.firstIndex(of: node) else {
            throw Failure(message: "the task \(id) to be interrupted never started running")
        }
        let reader = liveNodes().first { $0 != victim } ?? victim
        note("task \(id) runs on \(node) (attempt \(attempt)); its live log, "
             + (hasDataPlane ? "read through \(cluster.names[reader]):" : "read from \(node)'s workspace (no data plane in this build):"))
        var lines: [String] = []
        var first = true
        guard cluster.waitUntil(seconds: Self.startSecondsMax, {
            let output = try? readLog(id, attempt: attempt, executor: node, reader: reader, quiet: !first)
            first = false
            lines = (output ?? "").split(separator: "\n").map(String.init)
            return lines.filter { $0.contains("working:") }.count >= Self.linesBeforeKill
        }) else {
            throw Failure(message: "the log of task \(id) never showed \(Self.linesBeforeKill) progress lines through \(cluster.names[reader])")
        }
        for line in lines { detail(line) }
        let pid = cluster.process(victim)?.pid ?? 0
        cluster.kill(victim)
        killed.append(victim)
        kill = DemoKill(node: node, pid: pid, task: id, attempt: attempt, at: SystemClock.monotonicNanoseconds())
        note("killed \(node) with SIGKILL (pid \(pid)) while its agent was working: no goodbye, its agent dies with it")
    }

    /// The interrupted task must have succeeded on another node, in a later attempt.
    func checkFinishedElsewhere(_ record: JSONValue) throws {
        guard let kill else { return }
        let success = (record["history"]?.array ?? []).last { $0["state"]?.string == "succeeded" }
        let node = success?["node"]?.string ?? "?"
        let attempt = success?["attempt"]?.integer ?? 0
        guard node != kill.node, attempt > kill.attempt else {
            throw Failure(message: "the interrupted task \(kill.task) succeeded on \(node) in attempt \(attempt), "
                          + "not on another node after \(kill.node) was killed in attempt \(kill.attempt)")
        }
        let seconds = Double(SystemClock.monotonicNanoseconds() - kill.at) / 1e9
        note(String(format: "the mesh re-ran task %@ on %@ (attempt %lld) and it succeeded %.1f s after the kill",
                    kill.task.description, node, attempt, seconds))
    }

    /// The last lines of the task's latest attempt's log, served through a node that did not run it where one lives.
    func logTail(_ id: TaskID, record: JSONValue) throws -> [String] {
        let executor = Self.executor(record)?.node
        let reader = liveNodes().first { cluster.names[$0] != executor } ?? liveNodes()[0]
        let output = try readLog(id, attempt: nil, executor: executor ?? "?", reader: reader, quiet: false)
        let lines = output.split(separator: "\n").map(String.init)
        for line in lines.suffix(2) { detail(line) }
        return Array(lines.suffix(Self.logLinesShown))
    }
}

/// The kill: which node, its pid, the task and attempt it was running, and when (monotonic ns).
struct DemoKill {
    var node: String
    var pid: pid_t
    var task: TaskID
    var attempt: Int64
    var at: Int64
}
