import MeshCore
@testable import MeshRuntime
import Testing

/// Mesh tasks as A2A sees them: the state mapping of issue 13, the Task object, the event sequence a
/// stream sends, and the agent card.
@Suite("A2A: tasks, streams and the card")
struct A2ATaskViewTests {
    static let view = A2ATaskView(origin: "http://127.0.81.1:9000")
    static let id = TaskID.idempotent(key: "a2a:m-1")

    /// A task of profile `echo` as its owner `n1` holds it, taken through `changes`.
    static func record(_ changes: [TaskChange] = []) -> TaskRecord {
        var record = TaskRecord(id: id, spec: TaskSpec(profile: "echo", prompt: "hello", idempotencyKey: "a2a:m-1"),
                                owner: "n1", ownerEpoch: 1, copies: 2, at: 1_700_000_000_000)
        for (index, change) in changes.enumerated() {
            let transition = record.apply(change, by: "n1", at: 1_700_000_000_000 + Int64(index + 1) * 1_000)
            if case .refused(let why) = transition { Issue.record("\(change): \(why)") }
        }
        return record
    }

    static let fence = TaskFence(epoch: 1, attempt: 1)

    @Test("states map as issue 13 says", arguments: [
        (TaskState.accepted, A2ATaskState.submitted), (.queued, .submitted), (.running, .working), (.retrying, .working),
        (.succeeded, .completed), (.failed, .failed), (.timedOut, .failed), (.cancelled, .canceled),
    ])
    func stateMapping(mesh: TaskState, a2a: A2ATaskState) {
        #expect(A2ATaskState(mesh) == a2a)
        #expect(A2ATaskState(mesh).isTerminal == mesh.isTerminal)
    }

    @Test("every mesh state maps, and rejected is terminal")
    func everyState() {
        #expect(Set(TaskState.allCases.map { A2ATaskState($0) }) == [.submitted, .working, .completed, .failed, .canceled])
        #expect(A2ATaskState.rejected.isTerminal)
    }

    @Test("the Task: ids, status with its message and time, the user's message rebuilt, mesh facts in metadata")
    func task() {
        let record = Self.record([.queue, .start])
        let task = Self.view.task(record)
        #expect(task["id"] == .string(Self.id.description) && task["contextId"] == task["id"])
        #expect(task["status"]?["state"] == .string("TASK_STATE_WORKING"))
        #expect(task["status"]?["timestamp"] == .string("2023-11-14T22:13:22.000Z"))
        #expect(task["status"]?["message"]?["role"] == .string("ROLE_AGENT"))
        #expect(task["status"]?["message"]?["parts"]?.array?.first?["text"] == .string("running (attempt 1, node n1)"))
        let history = task["history"]?.array ?? []
        #expect(history.count == 1 && history.first?["messageId"] == .string("m-1"))
        #expect(history.first?["parts"]?.array?.first?["text"] == .string("hello"))
        #expect(task["metadata"]?["meshState"] == .string("running") && task["metadata"]?["owner"] == .string("n1"))
        #expect(Self.view.task(record, historyLength: 0)["history"] == nil)
    }

    @Test("an artifact links to the node's artifact route, its name percent-encoded, with size and hash")
    func artifact() {
        let file = TaskFile(name: "report final.md", size: 12, sha256: Array(repeating: 0xAB, count: 32))
        let artifact = Self.view.artifact(file, task: Self.id)
        let part = artifact["parts"]?.array?.first
        #expect(part?["url"] == .string("http://127.0.81.1:9000/v1/tasks/\(Self.id)/artifacts/report%20final.md"))
        #expect(part?["filename"] == .string("report final.md") && artifact["name"] == .string("report final.md"))
        #expect(artifact["metadata"]?["sha256"] == .string(String(repeating: "ab", count: 32)))
        #expect(artifact["metadata"]?["size"] == .integer(12))
    }

    @Test("a stream sends the task first, a status update per change, then the final status, and is done")
    func streamSequence() {
        var progress = A2AStreamProgress(view: Self.view)
        let first = progress.events(after: Self.record([.queue]))
        #expect(first.count == 1 && first[0]["task"]?["status"]?["state"] == .string("TASK_STATE_SUBMITTED"))
        #expect(progress.events(after: Self.record([.queue])).isEmpty, "nothing new, nothing sent")
        let working = progress.events(after: Self.record([.queue, .start]))
        #expect(working.map { $0["statusUpdate"]?["status"]?["state"] } == [.string("TASK_STATE_WORKING")])
        let retry = progress.events(after: Self.record([.queue, .start, .finish(Self.fence, .failed("exit 3"))]))
        #expect(retry.map { $0["statusUpdate"]?["status"]?["state"] } == [.string("TASK_STATE_WORKING")], "a retry is news")
        #expect(!progress.isDone)
        let done = Self.record([.queue, .start, .finish(Self.fence, .failed("exit 3")), .start,
                                .finish(TaskFence(epoch: 1, attempt: 2), .succeeded)])
        let last = progress.events(after: done)
        #expect(last.last?["statusUpdate"]?["status"]?["state"] == .string("TASK_STATE_COMPLETED"))
        #expect(progress.isDone)
        #expect(progress.events(after: done).isEmpty, "nothing after the end")
    }

    @Test("the task's artifacts are those of the latest event that has any; they end a stream, before the final status")
    func artifactsInStream() {
        let file = TaskFile(name: "answer.txt", size: 10, sha256: Array(repeating: 1, count: 32))
        var record = Self.record([.queue, .start])
        var progress = A2AStreamProgress(view: Self.view)
        _ = progress.events(after: record)
        _ = record.apply(.finish(Self.fence, .succeeded), by: "n1", at: 1_700_000_009_000)
        record.history[record.history.count - 1].artifacts = [file]
        #expect(A2ATaskView.artifacts(of: record) == [file])
        #expect(Self.view.task(record)["artifacts"]?.array?.first?["name"] == .string("answer.txt"))
        let events = progress.events(after: record)
        #expect(events.count == 2)
        #expect(events.first?["artifactUpdate"]?["artifact"]?["artifactId"] == .string("answer.txt"))
        #expect(events.last?["statusUpdate"]?["status"]?["state"] == .string("TASK_STATE_COMPLETED"))
    }

    @Test("a stream that begins at acceptance sends the accepted task, then what the readings add")
    func acceptedFirst() {
        var progress = A2AStreamProgress(view: Self.view)
        let accepted = progress.accepted(Self.record())
        #expect(accepted["task"]?["status"]?["state"] == .string("TASK_STATE_SUBMITTED"))
        let running = progress.events(after: Self.record([.queue, .start]))
        #expect(running.count == 1 && running[0]["statusUpdate"] != nil)
    }

    @Test("a task already over at the first reading is the only event; cancelled maps to canceled")
    func overAtFirstReading() {
        var progress = A2AStreamProgress(view: Self.view)
        let events = progress.events(after: Self.record([.queue, .cancel(reason: "by the client")]))
        #expect(events.count == 1 && events[0]["task"]?["status"]?["state"] == .string("TASK_STATE_CANCELED"))
        #expect(progress.isDone)
    }

    @Test("each stream event is a JSON-RPC response carrying the StreamResponse, under the call's id")
    func framing() {
        let response = A2AStreamProgress.response(.object([("task", .null)]), id: .string("r1"))
        #expect(response.serialized() == "{\"jsonrpc\":\"2.0\",\"id\":\"r1\",\"result\":{\"task\":null}}")
    }

    @Test("a rejected submission is a terminal task with the reason")
    func rejected() {
        let task = Self.view.rejected(Self.id, reason: "busy: queue full", at: 0)
        #expect(task["status"]?["state"] == .string("TASK_STATE_REJECTED"))
        #expect(task["status"]?["message"]?["parts"]?.array?.first?["text"] == .string("busy: queue full"))
    }

    @Test("the card: one skill per profile across live members, tags merged, sorted; the default is the first")
    func card() {
        let records = [
            CapacityRecord(name: "n2", incarnation: 1, version: 1,
                           profiles: [CapacityProfile(name: "review", slots: 2, tags: ["code"]), CapacityProfile(name: "echo", slots: 1)],
                           tags: ["gpu"]),
            CapacityRecord(name: "n1", incarnation: 1, version: 1, profiles: [CapacityProfile(name: "review", slots: 3, tags: ["docs"])]),
        ]
        let card = A2ACard(node: "n1", records: records)
        #expect(card.skills.map(\.id) == ["echo", "review"])
        #expect(card.skills[1].tags == ["code", "docs", "gpu"] && card.skills[1].nodes == 2 && card.skills[1].slots == 5)
        #expect(card.defaultSkill == "echo")
        let json = card.json(origin: "http://127.0.0.1:7947")
        let interface = json["supportedInterfaces"]?.array?.first
        #expect(interface?["url"] == .string("http://127.0.0.1:7947/a2a"))
        #expect(interface?["protocolBinding"] == .string("JSONRPC") && interface?["protocolVersion"] == .string("1.0"))
        #expect(json["capabilities"]?["streaming"] == .bool(true))
        let modes: JSONValue = .array([.string("text/plain"), .string("application/octet-stream")])
        #expect(json["defaultInputModes"] == modes && json["skills"]?.array?.first?["inputModes"] == modes, "file parts are taken")
        #expect(json["skills"]?.array?.first?["id"] == .string("echo"))
        #expect(A2ACard(node: "n1", records: []).defaultSkill == nil)
        #expect(json["securitySchemes"] == nil, "no token on loopback")
        let guarded = card.json(origin: "http://10.0.0.1:7947", requiresToken: true)
        #expect(guarded["securitySchemes"]?["meshToken"]?["httpAuthSecurityScheme"]?["scheme"] == .string("Bearer"))
        #expect(guarded["securityRequirements"]?.array?.count == 1)
    }
}
