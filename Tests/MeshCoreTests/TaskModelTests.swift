import MeshCore
import Testing

@Suite("Task model: ids, states and legal transitions")
struct TaskModelTests {
    static let spec = TaskSpec(profile: "claude", prompt: "do it")
    static func accepted(attempts: UInt32 = 3) -> TaskRecord {
        var spec = spec
        spec.attemptsMax = attempts
        return TaskRecord(id: TaskID.idempotent(key: "k"), spec: spec, owner: "a", ownerEpoch: 1, copies: 2, at: 1_000)
    }

    @Test("an idempotency key always gives the same id, on any node; different keys differ")
    func idempotentIDs() {
        #expect(TaskID.idempotent(key: "build-42") == TaskID.idempotent(key: "build-42"))
        #expect(TaskID.idempotent(key: "build-42") != TaskID.idempotent(key: "build-43"))
        // Pinned: the derivation is documented, so a change must be deliberate (all nodes must agree).
        #expect(TaskID.idempotent(key: "build-42").description.count == 32)
        #expect(TaskID(TaskID.idempotent(key: "x").description) == TaskID.idempotent(key: "x"))
        #expect(TaskID("zz") == nil && TaskID(String(repeating: "g", count: 32)) == nil)
    }

    @Test("generated ids never repeat across sequence, incarnation (restart) or node")
    func generatedIDs() {
        var seen = Set<TaskID>()
        for node in ["a", "b"] {
            for incarnation in [UInt64(1), 2] {
                var generator = TaskIDGenerator(node: node, incarnation: incarnation)
                for _ in 0..<200 { seen.insert(generator.next()) }
            }
        }
        #expect(seen.count == 800)
        var again = TaskIDGenerator(node: "a", incarnation: 1)
        #expect(seen.contains(again.next()), "deterministic: the same inputs give the same id")
        #expect(!seen.contains(TaskID.idempotent(key: "a")))
        var salted = TaskIDGenerator(node: "a", incarnation: 1, salt: [1, 2, 3])
        #expect(!seen.contains(salted.next()), "another data directory's salt: other ids for the same name and incarnation")
    }

    @Test("the state strings are exactly the API's")
    func stateStrings() {
        #expect(TaskState.allCases.map(\.rawValue) == ["accepted", "queued", "running", "retrying", "succeeded", "failed", "timed_out", "cancelled"])
        #expect(TaskEventState.stale.description == "stale")
        #expect(TaskEventState("timed_out") == .task(.timedOut) && TaskEventState("nope") == nil)
        #expect(TaskState.allCases.filter(\.isTerminal) == [.succeeded, .failed, .timedOut, .cancelled])
    }

    @Test("RFC 3339 UTC from wall milliseconds", arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"), (951_782_400_123, "2000-02-29T00:00:00.123Z"),
        (1_795_393_911_042, "2026-11-23T00:31:51.042Z"), (-5, "1970-01-01T00:00:00.000Z"),
    ])
    func rfc3339(milliseconds: Int64, text: String) {
        #expect(WallClock.rfc3339(milliseconds: milliseconds) == text)
    }

    @Test("a task runs to success: accepted, queued, running, succeeded, each an event")
    func happyPath() {
        var task = Self.accepted()
        #expect(task.apply(.queue, by: "a", at: 2) != .refused(""))
        _ = task.apply(.start, by: "a", at: 3)
        #expect(task.progress.attempt == 1 && task.state == .running)
        let result = task.apply(.finish(TaskFence(epoch: 1, attempt: 1), .succeeded), by: "a", at: 4)
        guard case .applied(let events) = result else { Issue.record("\(result)"); return }
        #expect(events.map(\.state) == [.task(.succeeded)])
        #expect(task.history.map(\.state.description) == ["accepted", "queued", "running", "succeeded"])
        #expect(task.apply(.finish(TaskFence(epoch: 1, attempt: 1), .succeeded), by: "a", at: 5) == .duplicate)
        #expect(task.history.count == 4)
    }

    @Test("failures retry with a new attempt until the maximum, then the task fails")
    func retries() {
        var task = Self.accepted(attempts: 2)
        _ = task.apply(.queue, by: "a", at: 2)
        _ = task.apply(.start, by: "a", at: 3)
        _ = task.apply(.finish(TaskFence(epoch: 1, attempt: 1), .failed("exit 3")), by: "a", at: 4)
        #expect(task.state == .retrying && task.progress.attempt == 2)
        #expect(task.history.last?.reason == "attempt 1 failed: exit 3")
        _ = task.apply(.start, by: "a", at: 5)
        #expect(task.progress.attempt == 2)
        _ = task.apply(.finish(TaskFence(epoch: 1, attempt: 2), .failed("exit 4")), by: "a", at: 6)
        #expect(task.state == .failed && task.history.last?.reason == "exit 4")
    }

    @Test("terminal states are final: nothing moves a finished task")
    func terminalIsFinal() {
        var task = Self.accepted()
        _ = task.apply(.cancel(reason: "operator"), by: "a", at: 2)
        let before = task
        for change in [TaskChange.queue, .start, .lose(reason: "x"), .cancel(reason: "again"),
                       .finish(TaskFence(epoch: 1, attempt: 0), .succeeded)] {
            let result = task.apply(change, by: "a", at: 9)
            #expect(result == .duplicate || { if case .refused = result { true } else { false } }())
        }
        #expect(task == before)
    }

    @Test("a result from an older epoch or attempt is recorded as stale and changes nothing else")
    func staleResults() {
        var task = Self.accepted()
        _ = task.apply(.queue, by: "a", at: 2)
        _ = task.apply(.start, by: "a", at: 3)
        _ = task.apply(.takeOver(owner: "b", epoch: 2), by: "b", at: 4)
        #expect(task.state == .retrying && task.progress.owner == "b" && task.progress.lostAttempts == 1)
        _ = task.apply(.start, by: "b", at: 5)
        let progress = task.progress
        let result = task.apply(.finish(TaskFence(epoch: 1, attempt: 1), .succeeded), by: "a", at: 6)
        guard case .stale(let event?) = result else { Issue.record("\(result)"); return }
        #expect(event.state == .stale && task.progress == progress)
        #expect(task.apply(.finish(TaskFence(epoch: 9, attempt: 1), .succeeded), by: "x", at: 7) != .duplicate)
        #expect(task.progress == progress, "a fence from the future is refused")
        for _ in 0..<100 { _ = task.apply(.finish(TaskFence(epoch: 1, attempt: 1), .succeeded), by: "a", at: 8) }
        #expect(task.history.count(where: { $0.state == .stale }) == TaskLimits.staleEventsMax)
        #expect(task.progress.staleDropped == 100 + 1 - UInt32(TaskLimits.staleEventsMax))
    }

    @Test("lost attempts re-run without using up failures, capped separately")
    func lostAttempts() {
        var task = Self.accepted(attempts: 1)
        _ = task.apply(.queue, by: "a", at: 2)
        for round in 1...Int(TaskLimits.lostAttemptsMax) {
            _ = task.apply(.start, by: "a", at: 3)
            _ = task.apply(.lose(reason: "executor died"), by: "a", at: 4)
            #expect(task.state == .retrying && task.progress.attempt == UInt32(round + 1))
        }
        #expect(task.progress.failures == 0)
        _ = task.apply(.start, by: "a", at: 5)
        _ = task.apply(.lose(reason: "executor died"), by: "a", at: 6)
        #expect(task.state == .failed)
    }

    @Test("a takeover needs a higher epoch; copies stay within bounds")
    func takeoverAndCopies() {
        var task = Self.accepted()
        #expect(task.apply(.takeOver(owner: "b", epoch: 1), by: "b", at: 2) != .applied([]))
        #expect(task.apply(.takeOver(owner: "b", epoch: TaskLimits.epochMax + 1), by: "b", at: 2) != .applied([]))
        #expect(task.apply(.takeOver(owner: "b", epoch: 2), by: "b", at: 2) == .applied([]))
        #expect(task.apply(.setCopies(0), by: "b", at: 2) != .applied([]))
        #expect(task.apply(.setCopies(1), by: "b", at: 2) == .applied([]) && task.progress.copies == 1)
    }
}
