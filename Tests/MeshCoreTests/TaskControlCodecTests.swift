import Testing
@testable import MeshCore

/// The bytes of declared outputs, artifacts and cancel messages (issue 10): round trips, old
/// bytes unchanged, hostile counts refused.
struct TaskControlCodecTests {
    static let file = TaskFile(name: "report.md", size: 1234, sha256: SHA256.hash(Array("r".utf8)))

    static func finished(expect: [String], artifacts: [TaskFile]) -> TaskRecord {
        var spec = TaskSpec(profile: "claude", prompt: "p", idempotencyKey: "k")
        spec.expect = expect
        var task = TaskRecord(id: TaskID.idempotent(key: "k"), spec: spec, owner: "a", ownerEpoch: 1, copies: 2, at: 1)
        _ = task.apply(.queue, by: "a", at: 2)
        _ = task.apply(.start, by: "a", at: 3)
        _ = task.apply(.finish(TaskFence(epoch: 1, attempt: 1), .succeeded), by: "a", at: 4)
        task.attach(AgentOutputs(artifacts: artifacts))
        return task
    }

    @Test func declaredOutputsAndArtifactsRoundTripAndShowInTheJSON() throws {
        let task = Self.finished(expect: ["report.md", "data.json"], artifacts: [Self.file])
        let decoded = try TaskCodec.decodeRecord(TaskCodec.encode(task))
        #expect(decoded == task)
        #expect(decoded.spec.expect == ["report.md", "data.json"])
        #expect(decoded.history.last?.artifacts == [Self.file])
        let json = decoded.history.last!.json
        #expect(json["artifacts"]?.array?.first?["sha256"]?.string == Self.file.sha256Hex)
        #expect(decoded.history.first!.json["artifacts"] == nil)
        // The log's delta entries carry them too.
        var replayed: [TaskID: TaskRecord] = [:]
        for entry in TaskLogEntry.entries(rebuilding: task) { try TaskLogEntry(entry.logRecord)!.replay(into: &replayed) }
        #expect(replayed[task.id]?.history == task.history)
    }

    @Test func aTaskWithoutThemKeepsItsVersionOneBytes() {
        let task = Self.finished(expect: [], artifacts: [])
        var w = ByteWriter(capacity: 64)
        TaskCodec.write(task.spec, to: &w)
        #expect(w.bytes.first == TaskCodec.version)
        for event in task.history {
            var e = ByteWriter(capacity: 64)
            TaskCodec.write(event, to: &e)
            #expect(e.bytes.first! & TaskCodec.artifactsFlag == 0)
        }
    }

    @Test func hostileArtifactsAndOutputsAreRefused() {
        var w = ByteWriter(capacity: 64)
        w.varint(UInt64(TaskLimits.artifactsRecordedMax + 1))
        var r = ByteReader(w.bytes)
        #expect(throws: DecodeError.self) { try TaskCodec.readArtifacts(&r) }
        var bad = ByteWriter(capacity: 64)
        bad.varint(1); bad.shortString("../x"); bad.varint(1); bad.raw(Array(repeating: 0, count: 32))
        var badReader = ByteReader(bad.bytes)
        #expect(throws: DecodeError.self) { try TaskCodec.readArtifacts(&badReader) }
        var spec = TaskSpec(profile: "p", prompt: "x")
        spec.expect = ["a/b"]
        #expect(spec.validationError()?.field == "expect")
        spec.expect = ["a", "a"]
        #expect(spec.validationError()?.field == "expect")
        spec.expect = (0..<40).map { "\($0)" + String(repeating: "x", count: 30) }
        #expect(spec.validationError()?.field == "expect")
        #expect(throws: TaskFieldError.self) { try TaskSubmission.parse(#"{"profile":"p","prompt":"x","expect":["-rf"]}"#) }
        #expect((try? TaskSubmission.parse(#"{"profile":"p","prompt":"x","expect":["out.txt"]}"#))?.expect == ["out.txt"])
    }

    @Test func cancelMessagesRoundTrip() throws {
        let task = Self.finished(expect: [], artifacts: [Self.file])
        let messages: [TaskMessage] = [
            .cancel(task.id), .cancelAnswer(.cancelled(task)), .cancelAnswer(.finished(task)),
            .cancelAnswer(.notOwner(nil)), .cancelAnswer(.notOwner(task)), .cancelAnswer(.refused("leaving")),
            .cancelAnswer(.cancelling(task, stopWithin: .milliseconds(2_500))),
        ]
        for message in messages { #expect(try TaskMessage.decode(message.encoded()) == message) }
        #expect(throws: DecodeError.self) { try TaskMessage.decode([0x4F, 9]) }
        // A hostile stop time is clamped, never trusted.
        var w = ByteWriter(capacity: 256)
        TaskWire.write(.cancelling(task, stopWithin: 0), to: &w)
        var bytes = w.bytes
        for i in (bytes.count - 8)..<bytes.count { bytes[i] = 0xFF }
        var r = ByteReader(bytes)
        #expect(try TaskWire.readCancelAnswer(&r) == .cancelling(task, stopWithin: TaskSettings.cancelStopMax))
    }
}
