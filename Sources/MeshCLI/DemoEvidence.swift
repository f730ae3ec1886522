import Foundation
import MeshCore

/// The end of the story: each task's history, a bit of its log and its verified artifacts, as
/// text for people and as one JSON object (`mesh demo --json`) for programs.
extension Demo {
    /// The evidence as people read it.
    static func evidenceText(_ evidence: [DemoTaskEvidence]) -> String {
        var lines: [String] = []
        for (index, task) in evidence.enumerated() {
            let attempts = task.record["attempt"]?.integer ?? 0
            lines.append("")
            lines.append("task \(index + 1) of \(evidence.count): \(task.stage.profile) \(task.id): "
                         + "\(task.record["state"]?.string ?? "?"), \(attempts) \(attempts == 1 ? "attempt" : "attempts")")
            let rows = (task.record["history"]?.array ?? []).map { event in
                [event["at"]?.string ?? "", event["state"]?.string ?? "", String(event["attempt"]?.integer ?? 0),
                 event["node"]?.string ?? "", event["reason"]?.string ?? ""]
            }
            lines += TaskTable.table(["AT", "STATE", "ATTEMPT", "NODE", "REASON"], rows).map { "    " + $0 }
            lines.append("    log of attempt \(attempts), last lines:")
            lines += task.logTail.map { "      " + $0 }
            lines.append("    artifacts (SHA-256 re-computed here, equal to the history's):")
            lines += task.artifacts.map { "      \($0.name)  \($0.size) bytes  \($0.sha256)" }
        }
        return lines.joined(separator: "\n")
    }

    /// `mesh demo --json`: `{"ok", "seconds", "directory", "kept", "nodes", "dataPlane", "killed", "tasks": [...], "error"}`.
    func summaryJSON(_ evidence: [DemoTaskEvidence], seconds: Double, error: String?) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("ok", .bool(error == nil)), ("seconds", .number((seconds * 10).rounded() / 10)),
            ("directory", .string(cluster.directory)), ("kept", .bool(cluster.keepsDirectory)),
            ("nodes", .array(cluster.names.map { .string($0) })), ("dataPlane", .bool(hasDataPlane)),
        ]
        if let kill {
            members.append(("killed", .object([("node", .string(kill.node)), ("pid", .integer(Int64(kill.pid))),
                                               ("task", .string(kill.task.description)), ("attempt", .integer(kill.attempt))])))
        }
        members.append(("tasks", .array(evidence.map(Self.taskJSON))))
        if let error { members.append(("error", .string(error))) }
        return .object(members)
    }

    private static func taskJSON(_ task: DemoTaskEvidence) -> JSONValue {
        let success = (task.record["history"]?.array ?? []).last { $0["state"]?.string == "succeeded" }
        return .object([
            ("profile", .string(task.stage.profile)), ("id", .string(task.id.description)),
            ("state", task.record["state"] ?? .null), ("attempts", task.record["attempt"] ?? .null),
            ("node", success?["node"] ?? .null), ("history", task.record["history"] ?? .array([])),
            ("log", .array(task.logTail.map { .string($0) })), ("artifacts", .array(task.artifacts.map(\.json))),
        ])
    }
}
