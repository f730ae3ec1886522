import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import Testing

/// Helpers for the cancel / timeout / stall / outputs / environment tests (issue 10).
extension TestCluster {
    /// Writes `config` and starts nodes `1...count` with `environment` added to theirs, every one
    /// joining node 1, then waits until node 1 sees them all alive with their profiles.
    func startControlNodes(_ count: Int, config: String, environment: [String: String] = [:]) async throws {
        try config.write(toFile: directory + "/profiles.json", atomically: true, encoding: .utf8)
        for index in 1...count {
            try start("t\(index)", index: index, join: count == 1 ? [] : index == 1 ? [2] : [1], preset: "local",
                      extra: ["--config", directory + "/profiles.json"], environment: environment)
        }
        await eventually("every node is alive, advertises its profiles and has joined", timeout: 20) {
            guard let status = status("t1") else { return false }
            return status.members.count == count
                && status.members.allSatisfy { $0.state == "alive" && $0.capacity?.profiles.isEmpty == false }
                && (1...count).allSatisfy { health("t\($0)")?.hasJoined == true }
        }
    }

    /// The workspace of task `id` on node `t<index>`.
    func workspace(_ id: TaskID, on index: Int) -> String { dataDirectory("t\(index)") + "/tasks/\(id)" }

    /// The index of the node that owns task `id` (as node 1 reports it).
    func ownerIndex(of id: TaskID) -> Int? {
        guard let owner = task(id, from: 1)?.taskOwner, owner.hasPrefix("t") else { return nil }
        return Int(owner.dropFirst())
    }

    /// Submits `spec` through node `index` and waits for its id.
    func submitted(_ spec: TaskSpec, through index: Int) throws -> TaskID {
        try #require(submit(spec, through: index), "submission through t\(index) refused\n\(logTails())")
    }

    /// Waits until task `id` is in a terminal state (as node `index` reports it); its record.
    func finished(_ id: TaskID, from index: Int = 1, timeout: TimeInterval = 30) async -> JSONValue? {
        var record: JSONValue?
        await eventually("task \(id) ended", timeout: timeout) {
            record = task(id, from: index)
            return record?.taskState.flatMap(TaskState.init(rawValue:))?.isTerminal == true
        }
        return record
    }
}

/// A pid read from a file once it holds one.
func pidFile(_ path: String, within seconds: Double = 10) -> pid_t? {
    var pid: pid_t?
    _ = poll(within: seconds) {
        pid = (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        return pid != nil
    }
    return pid
}
