import Foundation
import Glibc
import MeshCore
import MeshRuntime

/// The measuring phases of `mesh bench tasks`.
extension TaskBench {
    /// What one submitting thread saw.
    final class Tally: @unchecked Sendable {
        var latencyMs: [Double] = []
        var acceptedAt: [Int64] = []
        var refused: [Int: Int] = [:]
        /// The `error` texts of refusals (at most `reasonsKept` distinct ones), with counts.
        var reasons: [String: Int] = [:]
        var failed = 0
        var reconnects = 0
        var ids: [(node: Int, id: TaskID)] = []
    }

    /// Threads submitting `spec(thread, n)` over kept-alive connections (thread `t` talks to node
    /// `t % nodes`) until `deadline` or `count` submissions in all.
    func submit(_ cluster: LocalCluster, until deadline: Int64, count: Int = Int.max, keepIDs: Bool = false,
                spec: @escaping @Sendable (Int, Int) -> TaskSpec) -> [Tally] {
        let tallies = (0..<connections).map { _ in Tally() }
        let threads = connections
        // One thread per connection: `concurrentPerform` would run only as many at once as there
        // are cores, leaving most connections idle on a small machine.
        Self.onThreads(threads) { thread in
            let tally = tallies[thread]
            let node = thread % cluster.count
            guard let connection = try? KeepAliveConnection(endpoint: cluster.httpEndpoint(node)) else {
                tally.failed += 1
                return
            }
            var n = thread
            while n < count, SystemClock.monotonicNanoseconds() < deadline {
                let body = Self.body(spec(thread, n))
                let start = SystemClock.monotonicNanoseconds()
                guard let answer = try? connection.send("POST", "/v1/tasks", body: body) else {
                    tally.failed += 1
                    n += threads
                    continue
                }
                let end = SystemClock.monotonicNanoseconds()
                if answer.status == 201 {
                    tally.latencyMs.append(Double(end - start) / 1e6)
                    tally.acceptedAt.append(end)
                    if keepIDs, let id = (try? JSONValue.parse(String(decoding: answer.body, as: UTF8.self)))?["id"]?
                        .string.flatMap(TaskID.init) { tally.ids.append((node, id)) }
                } else {
                    tally.refused[answer.status, default: 0] += 1
                    let text = String(decoding: answer.body.prefix(512), as: UTF8.self)
                    let json = try? JSONValue.parse(String(decoding: answer.body, as: UTF8.self))
                    let reason = json?["error"]?.string ?? json?["error"]?["message"]?.string ?? text
                    if tally.reasons[reason] != nil || tally.reasons.count < TaskBench.reasonsKept { tally.reasons[reason, default: 0] += 1 }
                }
                n += threads
            }
            tally.reconnects = connection.connectionsOpened - 1
        }
        return tallies
    }

    /// A submission's JSON body. The bench's specs have a profile and a prompt only, of plain
    /// characters: written directly (the client runs on the nodes' cores, so its cost counts);
    /// anything else goes through the general encoder.
    static func body(_ spec: TaskSpec) -> Bytes {
        func plain(_ text: String) -> Bool { text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C } }
        guard spec == TaskSpec(profile: spec.profile, prompt: spec.prompt), plain(spec.profile), plain(spec.prompt) else {
            return Array(TaskSubmission.json(spec).serialized().utf8)
        }
        return Array(#"{"profile":""#.utf8) + Array(spec.profile.utf8) + Array(#"","prompt":""#.utf8)
            + Array(spec.prompt.utf8) + Array(#""}"#.utf8)
    }

    /// Runs `body(0..<count)` on `count` threads of their own and waits for all of them.
    static func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let done = DispatchSemaphore(value: 0)
        for index in 0..<count {
            let thread = Thread { body(index); done.signal() }
            thread.stackSize = 1 << 20
            thread.start()
        }
        for _ in 0..<count { done.wait() }
    }

    /// Phase 2: submissions for `seconds`.
    func submitPhase(_ cluster: LocalCluster, into figures: inout Figures) {
        let start = SystemClock.monotonicNanoseconds()
        let holds = Self.holdProfiles
        let tallies = submit(cluster, until: start + .seconds(Int64(seconds))) { _, n in
            TaskSpec(profile: "hold\(n % holds)", prompt: "bench task \(n)")
        }
        figures.submitSeconds = Double(SystemClock.monotonicNanoseconds() - start) / 1e9
        var buckets = Array(repeating: 0, count: seconds + 1)
        for tally in tallies {
            figures.latencyMs += tally.latencyMs
            figures.accepted += tally.latencyMs.count
            figures.failed += tally.failed
            figures.reconnects += tally.reconnects
            for (status, count) in tally.refused { figures.refused[status, default: 0] += count }
            for (reason, count) in tally.reasons { figures.reasons[reason, default: 0] += count }
            for at in tally.acceptedAt { buckets[min(seconds, Int((at - start) / 1_000_000_000))] += 1 }
        }
        figures.perSecond = Array(buckets.prefix(seconds))
    }

    /// Phase 3: no-op tasks until every one succeeded; how many of them were forwarded twice.
    func executePhase(_ cluster: LocalCluster, into figures: inout Figures) {
        let before = summedCounters(cluster)
        let start = SystemClock.monotonicNanoseconds()
        let tallies = submit(cluster, until: start + .seconds(60), count: Self.executeTasks, keepIDs: true) { _, n in
            TaskSpec(profile: "noop", prompt: "noop \(n)")
        }
        let ids = tallies.flatMap(\.ids)
        for tally in tallies {
            for (reason, count) in tally.reasons { figures.reasons[reason, default: 0] += count }
            figures.executeFailed += tally.failed
            for (status, count) in tally.refused { figures.executeRefused[status, default: 0] += count }
        }
        let client = ControlClient(endpoint: cluster.httpEndpoint(0), timeout: .seconds(10))
        _ = cluster.waitUntil(seconds: 120) {
            let listing = (try? client.tasks(state: .succeeded))?.json["tasks"]?.array ?? []
            return listing.count(where: { $0["profile"]?.string == "noop" }) >= ids.count
        }
        figures.executeSeconds = Double(SystemClock.monotonicNanoseconds() - start) / 1e9
        figures.executed = ids.count
        let after = summedCounters(cluster)
        func delta(_ name: String) -> Int { Int(clamping: (after[name] ?? 0) &- (before[name] ?? 0)) }
        figures.forwards = delta("tasksForwarded")
        figures.forwardedAgain = delta("tasksForwardedAgain")
    }

    /// Phase 4: SIGKILL the node running a long task; time until it runs again elsewhere. Returns
    /// the killed node.
    func killPhase(_ cluster: LocalCluster, into figures: inout Figures) -> Int? {
        let entry = ControlClient(endpoint: cluster.httpEndpoint(0), timeout: .seconds(15))
        guard let answer = try? entry.submitTask(TaskSpec(profile: "long", prompt: "long")),
              let id = answer.json["id"]?.string.flatMap(TaskID.init) else { return nil }
        var owner: String?
        _ = cluster.waitUntil(seconds: 20) {
            let record = (try? entry.task(id))?.json
            owner = record?["owner"]?.string
            return record?["state"]?.string == "running"
        }
        guard let owner, let victim = cluster.names.firstIndex(of: owner) else { return nil }
        let observer = victim == 0 ? 1 : 0
        let client = ControlClient(endpoint: cluster.httpEndpoint(observer), timeout: .seconds(2))
        let killedAt = Int64(Date().timeIntervalSince1970 * 1_000)
        let killedAtMonotonic = SystemClock.monotonicNanoseconds()
        cluster.kill(victim)
        _ = cluster.waitUntil(seconds: 60) {
            if figures.deadSeconds == nil, cluster.state(of: victim, seenBy: observer) == "dead" {
                figures.deadSeconds = Double(SystemClock.monotonicNanoseconds() - killedAtMonotonic) / 1e9
            }
            let history = (try? client.task(id))?.json["history"]?.array ?? []
            if let rerun = history.last(where: { $0["state"]?.string == "running" && $0["node"]?.string != owner }),
               let at = rerun["at"]?.string.flatMap(TaskBench.milliseconds(rfc3339:)) {
                figures.rerunSeconds = Double(at - killedAt) / 1e3
            }
            return figures.rerunSeconds != nil && figures.deadSeconds != nil
        }
        return victim
    }
}

extension TaskBench {
    /// Milliseconds since the Unix epoch of an event's `at` (`2026-11-23T01:09:39.070Z`).
    static func milliseconds(rfc3339 text: String) -> Int64? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text).map { Int64(($0.timeIntervalSince1970 * 1_000).rounded()) }
    }
}
