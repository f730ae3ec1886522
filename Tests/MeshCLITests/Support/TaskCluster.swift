import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import Testing

/// Task helpers on top of `TestCluster`: nodes started with agent profiles from a config file,
/// submissions and reads through the control API.
extension TestCluster {
    /// Profiles every node of a task test runs: `ok` reads its prompt and succeeds, `slow` takes
    /// `slowSeconds` first, `fail` exits 3.
    static func taskProfiles(slots: Int = 4, slowSeconds: Double = 1) -> String {
        """
        {"profiles": [
          {"name": "ok", "command": ["/bin/sh", "-c", "cat > /dev/null; echo done"], "slots": \(slots)},
          {"name": "slow", "command": ["/bin/sh", "-c", "cat > /dev/null; sleep \(slowSeconds); echo done"], "slots": \(slots)},
          {"name": "fail", "command": ["/bin/sh", "-c", "cat > /dev/null; exit 3"], "slots": \(slots)}
        ]}
        """
    }

    /// Writes the profiles config and starts nodes `1...count` (`t1`, `t2`, …), every one joining
    /// node 1, then waits until node 1 sees them all alive with their profiles advertised.
    func startTaskNodes(_ count: Int, profiles: String = TestCluster.taskProfiles()) async throws {
        let config = directory + "/profiles.json"
        try profiles.write(toFile: config, atomically: true, encoding: .utf8)
        for index in 1...count { try startTaskNode(index, alone: count == 1) }
        await eventually("every node is alive, advertises its profiles and has joined", timeout: 20) {
            guard let status = status("t1") else { return false }
            return status.members.count == count
                && status.members.allSatisfy { $0.state == "alive" && $0.capacity?.profiles.isEmpty == false }
                && (1...count).allSatisfy { health("t\($0)")?.hasJoined == true }
        }
    }

    /// Like `waitUntil`, but suspends between polls instead of blocking its thread: a long wait
    /// (a takeover, a whole workload) must not hold one of the few threads every test shares.
    @discardableResult
    func eventually(_ what: String, timeout: TimeInterval, interval: TimeInterval = 0.1,
                    sourceLocation: SourceLocation = #_sourceLocation, _ condition: () -> Bool) async -> Bool {
        let start = Date()
        while true {
            if condition() { return true }
            if Date().timeIntervalSince(start) > timeout {
                Issue.record("timed out after \(timeout)s waiting until \(what)\n\(logTails())", sourceLocation: sourceLocation)
                return false
            }
            try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))   // the polling interval
        }
    }

    /// Starts (or restarts, with the same data) node `t<index>`: node 1 joins through node 2 (so
    /// that a restarted node 1 finds the mesh again), the others through node 1.
    func startTaskNode(_ index: Int, alone: Bool = false) throws {
        try start("t\(index)", index: index, join: alone ? [] : index == 1 ? [2] : [1], preset: "local",
                  extra: ["--config", directory + "/profiles.json"])
    }

    /// A control API client for node `index`.
    func client(_ index: Int, timeout: Nanoseconds = ControlClient.submitTimeout) -> ControlClient {
        ControlClient(endpoint: SocketEndpoint(parsing: httpAddress(index))!, timeout: timeout)
    }

    /// Submits through node `index`; the task's id when it was accepted (201).
    func submit(_ spec: TaskSpec, through index: Int) -> TaskID? {
        guard let answer = try? client(index).submitTask(spec), answer.status == 201 || answer.status == 200 else { return nil }
        return answer.json["id"]?.string.flatMap(TaskID.init)
    }

    /// Submits `count` tasks (`spec(n)` for the n-th) over one kept-alive connection to node
    /// `index`, on a thread of its own, until they are all sent or the connection fails: the ids
    /// answered `201` go to `accepted`, and `finished` gets one item when the thread ends.
    func submitKeptAlive(through index: Int, count: Int, accepted: Collected<TaskID>, finished: Collected<Bool>,
                         _ spec: @escaping @Sendable (Int) -> TaskSpec) {
        let endpoint = SocketEndpoint(parsing: httpAddress(index))!
        Thread.detachNewThread {
            defer { finished.append(true) }
            guard let connection = try? KeepAliveConnection(endpoint: endpoint) else { return }
            for n in 0..<count {
                let body = TaskSubmission.json(spec(n)).serialized()
                guard let answer = try? connection.send("POST", "/v1/tasks", body: Array(body.utf8)) else { return }
                guard answer.status == 201, let id = (try? JSONValue.parse(String(decoding: answer.body, as: UTF8.self)))?["id"]?
                    .string.flatMap(TaskID.init) else { continue }
                accepted.append(id)
            }
        }
    }

    /// The task as node `index` reports it (nil when it does not answer 200).
    func task(_ id: TaskID, from index: Int) -> JSONValue? {
        guard let answer = try? client(index, timeout: .seconds(5)).task(id), answer.status == 200 else { return nil }
        return answer.json
    }

    /// The listing node `index` gives for `state`.
    func tasks(_ state: TaskState? = nil, from index: Int) -> [JSONValue]? {
        guard let answer = try? client(index, timeout: .seconds(5)).tasks(state: state), answer.status == 200 else { return nil }
        return answer.json["tasks"]?.array
    }
}

/// What a task's JSON says.
extension JSONValue {
    var taskState: String? { self["state"]?.string }
    var taskOwner: String? { self["owner"]?.string }
    var history: [JSONValue] { self["history"]?.array ?? [] }

    /// The events of the history in state `state`.
    func events(_ state: String) -> [JSONValue] { history.filter { $0["state"]?.string == state } }
}

/// Items gathered by several threads.
final class Collected<Item: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Item] = []

    func append(_ item: Item) { lock.withLock { items.append(item) } }
    var all: [Item] { lock.withLock { items } }
    var count: Int { lock.withLock { items.count } }
}
