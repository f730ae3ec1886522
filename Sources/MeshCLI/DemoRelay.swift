import Foundation
import Glibc
import MeshCore
import MeshRuntime

/// What the demo learned about one task of the relay: the evidence it prints at the end.
struct DemoTaskEvidence {
    var stage: DemoAgents.Stage
    var id: TaskID
    /// The task as `mesh task ID --json` printed it once it ended.
    var record: JSONValue
    /// The last lines of its final attempt's log, as `mesh logs` served them.
    var logTail: [String]
    /// The outputs downloaded by `mesh artifacts`, each re-hashed here against the history.
    var artifacts: [DemoArtifact]
}

/// The relay: three tasks through three profiles, each fed the previous one's artifacts as
/// attachments, with the node running the middle one killed while its agent works.
extension Demo {
    /// Longest the demo waits for one task to end.
    static let taskSecondsMax: Double = 40
    /// Lines of each task's log shown in the evidence.
    static let logLinesShown = 4

    func relay() throws {
        var attachments: [String] = []
        for (index, stage) in DemoAgents.stages.enumerated() {
            let entry = liveNodes()[0]
            let handed = hasDataPlane ? ", the previous outputs attached (--attach)" : ", the previous outputs in its prompt (no data plane in this build)"
            note("task \(index + 1) of 3: profile \(stage.profile)\(attachments.isEmpty ? "" : handed), submitted through \(cluster.names[entry])")
            let id = try submit(stage, attachments: attachments, through: entry)
            if index == DemoAgents.killedStage { try killExecutor(of: id) }
            let record = try waitForEnd(id, stage: stage)
            if index == DemoAgents.killedStage { try checkFinishedElsewhere(record) }
            let tail = try logTail(id, record: record)
            let files = try fetchArtifacts(id, stage: stage, record: record)
            attachments += files.map(\.path)
            evidence.append(DemoTaskEvidence(stage: stage, id: id, record: record, logTail: tail, artifacts: files))
        }
    }

    /// The nodes not killed, in order.
    func liveNodes() -> [Int] { (0..<cluster.count).filter { !killed.contains($0) } }

    private func submit(_ stage: DemoAgents.Stage, attachments: [String], through entry: Int) throws -> TaskID {
        let (prompt, flags) = handOver(stage.prompt, attachments: attachments)
        let arguments = ["submit", "--profile", stage.profile, "--prompt", prompt, "--timeout", "60s", "--json",
                         "--http", cluster.httpEndpoint(entry).description] + flags
        // The nodes' profiles reach every member by gossip; until they have, a submission finds no eligible node.
        let deadline = SystemClock.monotonicNanoseconds() + .seconds(10)
        while true {
            let result = try shell.run(arguments)
            if result.status == 0, let id = (try? JSONValue.parse(result.output))?["id"]?.string.flatMap(TaskID.init) {
                note("accepted as task \(id)")
                return id
            }
            let isEarly = result.errors.contains("no eligible") || result.errors.contains("try again later")
            guard isEarly, SystemClock.monotonicNanoseconds() < deadline else {
                throw Failure(message: "submitting the \(stage.profile) task: `mesh submit` exited with \(result.status): "
                              + result.errors.trimmingCharacters(in: .whitespacesAndNewlines).prefix(600))
            }
            usleep(200_000)   // gossip spreads the profiles within a few periods
        }
    }

    /// The task's record from the first live node that answers.
    func record(_ id: TaskID) -> JSONValue? {
        for node in liveNodes() {
            if let answer = try? ControlClient(endpoint: cluster.httpEndpoint(node), timeout: .seconds(2)).task(id),
               answer.isSuccess { return answer.json }
        }
        return nil
    }

    /// The node named in the latest `running` event of `record`, with its attempt.
    static func executor(_ record: JSONValue) -> (node: String, attempt: Int64)? {
        guard let event = (record["history"]?.array ?? []).last(where: { $0["state"]?.string == "running" }),
              let node = event["node"]?.string else { return nil }
        return (node, event["attempt"]?.integer ?? 0)
    }

    private func waitForEnd(_ id: TaskID, stage: DemoAgents.Stage) throws -> JSONValue {
        var last: JSONValue?
        let ended = cluster.waitUntil(seconds: Self.taskSecondsMax) {
            last = record(id)
            guard let state = last?["state"]?.string.flatMap(TaskState.init(rawValue:)) else { return false }
            return state.isTerminal
        }
        guard ended, let record = last else {
            throw Failure(message: "the \(stage.profile) task \(id) did not end within \(Int(Self.taskSecondsMax)) s "
                          + "(last state: \(last?["state"]?.string ?? "unknown"))")
        }
        guard record["state"]?.string == "succeeded" else {
            let reason = (record["history"]?.array ?? []).last?["reason"]?.string ?? ""
            throw Failure(message: "the \(stage.profile) task \(id) ended \(record["state"]?.string ?? "?"): \(reason)")
        }
        let (node, attempt) = Self.executor(record) ?? ("?", 0)
        note("task \(id) succeeded on \(node) (attempt \(attempt))")
        return record
    }
}
