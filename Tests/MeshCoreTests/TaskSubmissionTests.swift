import MeshCore
import Testing

@Suite("Task submissions: strict JSON, named fields, durations")
struct TaskSubmissionTests {
    @Test("a full body parses into a spec, and the spec writes back to the same body")
    func fullBody() throws {
        let body = #"{"profile":"claude","prompt":"hi","affinity":"repo:site","tags":["gpu","review"],"timeout":"90s","attempts":5,"idempotencyKey":"build-42"}"#
        let spec = try TaskSubmission.parse(body)
        #expect(spec == TaskSpec(profile: "claude", prompt: "hi", affinity: "repo:site", tags: ["gpu", "review"],
                                 timeout: .seconds(90), attemptsMax: 5, idempotencyKey: "build-42"))
        #expect(try TaskSubmission.parse(TaskSubmission.json(spec).serialized()) == spec)
        let minimal = try TaskSubmission.parse(#"{"profile":"p","prompt":""}"#)
        #expect(minimal.timeout == TaskLimits.timeoutDefault && minimal.attemptsMax == 3 && minimal.idempotencyKey == nil)
    }

    @Test("each bad body names its field", arguments: [
        (#"{"profile":"p","prompt":"x","color":"red"}"#, "color"),
        (#"{"prompt":"x"}"#, "profile"),
        (#"{"profile":"p"}"#, "prompt"),
        (#"{"profile":"p x","prompt":""}"#, "profile"),
        (#"{"profile":"p","prompt":1}"#, "prompt"),
        (#"{"profile":"p","prompt":"","timeout":"soon"}"#, "timeout"),
        (#"{"profile":"p","prompt":"","timeout":"25h"}"#, "timeout"),
        (#"{"profile":"p","prompt":"","timeout":"0s"}"#, "timeout"),
        (#"{"profile":"p","prompt":"","attempts":0}"#, "attempts"),
        (#"{"profile":"p","prompt":"","attempts":21}"#, "attempts"),
        (#"{"profile":"p","prompt":"","attempts":2.5}"#, "attempts"),
        (#"{"profile":"p","prompt":"","tags":"gpu"}"#, "tags"),
        (#"{"profile":"p","prompt":"","tags":["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q"]}"#, "tags"),
        (#"{"profile":"p","prompt":"","idempotencyKey":""}"#, "idempotencyKey"),
        (#"["profile"]"#, "body"), ("{", "body"),
    ])
    func namedErrors(body: String, field: String) {
        #expect(throws: TaskFieldError.self) { try TaskSubmission.parse(body) }
        do { _ = try TaskSubmission.parse(body) } catch { #expect(error.field == field, "\(error)") }
    }

    @Test("the prompt limit is 1 MiB exactly")
    func promptLimit() throws {
        let atLimit = String(repeating: "a", count: TaskLimits.promptBytesMax)
        #expect(try TaskSubmission.parse(#"{"profile":"p","prompt":"\#(atLimit)"}"#).prompt.utf8.count == TaskLimits.promptBytesMax)
        do {
            _ = try TaskSubmission.parse(#"{"profile":"p","prompt":"\#(atLimit)b"}"#)
            Issue.record("a prompt past the limit was accepted")
        } catch { #expect(error.field == "prompt") }
    }

    @Test("durations as people write them", arguments: [
        ("90s", Nanoseconds.seconds(90)), ("5m", .seconds(300)), ("1h", .seconds(3_600)), ("1h30m", .seconds(5_400)),
        ("1500ms", .milliseconds(1_500)),
    ])
    func durations(text: String, value: Nanoseconds) {
        #expect(TaskDuration.parse(text) == value)
    }

    @Test("not durations", arguments: ["", "s", "5", "5d", "-5s", "1.5s", "99999999999s", String(repeating: "1s", count: 20)])
    func notDurations(text: String) {
        #expect(TaskDuration.parse(text) == nil)
    }

    @Test("durations print in their shortest form")
    func durationText() {
        #expect(TaskDuration.text(.seconds(90)) == "90s" && TaskDuration.text(.seconds(300)) == "5m")
        #expect(TaskDuration.text(.seconds(7_200)) == "2h" && TaskDuration.text(.milliseconds(1_500)) == "1500ms")
    }
}

@Suite("Task records as the API prints them")
struct TaskRecordJSONTests {
    @Test("a record prints its id, state, attempt, owner, copies and history with RFC 3339 times")
    func recordJSON() throws {
        var task = TaskRecord(id: TaskID.idempotent(key: "k"), spec: TaskSpec(profile: "p", prompt: ""), owner: "a",
                              ownerEpoch: 1, copies: 2, at: 1_795_393_911_042)
        _ = task.apply(.queue, by: "a", at: 1_795_393_912_000)
        let text = task.json.serialized()
        let parsed = try JSONValue.parse(text)
        #expect(parsed["id"]?.string == TaskID.idempotent(key: "k").description)
        #expect(parsed["state"]?.string == "queued" && parsed["owner"]?.string == "a" && parsed["copies"]?.integer == 2)
        #expect(parsed["history"]?.array?.map { $0["state"]?.string } == ["accepted", "queued"])
        #expect(parsed["history"]?.array?.first?["at"]?.string == "2026-11-23T00:31:51.042Z")
        #expect(task.acceptedJSON.serialized() == #"{"id":"\#(task.id)","state":"queued","copies":2}"#)
    }
}
