import MeshCore
import Testing

@Suite("Task binary encoding: round trips, hostile bytes, log entries")
struct TaskCodecTests {
    static func record() -> TaskRecord {
        let spec = TaskSpec(profile: "claude", prompt: "prompt é", affinity: "repo", tags: ["gpu"],
                            timeout: .seconds(90), attemptsMax: 4, idempotencyKey: "k")
        var task = TaskRecord(id: TaskID.idempotent(key: "k"), spec: spec, owner: "node-a", ownerEpoch: 3, copies: 2, at: 42)
        _ = task.apply(.queue, by: "node-a", at: 43)
        _ = task.apply(.start, by: "node-a", at: 44)
        _ = task.apply(.finish(TaskFence(epoch: 3, attempt: 1), .failed("exit 2")), by: "node-a", at: 45)
        return task
    }

    @Test("a record round-trips through its bytes")
    func roundTrip() throws {
        let task = Self.record()
        #expect(try TaskCodec.decodeRecord(TaskCodec.encode(task)) == task)
    }

    @Test("every truncation and every single-byte change decodes or throws, never traps or passes a limit")
    func hostileBytes() {
        let bytes = TaskCodec.encode(Self.record())
        for length in 0..<bytes.count { #expect(throws: DecodeError.self) { try TaskCodec.decodeRecord(Array(bytes[..<length])) } }
        for index in bytes.indices {
            for value: UInt8 in [0, 0x7F, 0x80, 0xFF] {
                var changed = bytes
                changed[index] = value
                if let task = try? TaskCodec.decodeRecord(changed) {
                    #expect(task.spec.validationError() == nil && task.progress.ownerEpoch <= TaskLimits.epochMax)
                }
            }
        }
    }

    @Test("numbers past their limits are refused")
    func limits() {
        var task = Self.record()
        task.progress.ownerEpoch = TaskLimits.epochMax + 1
        #expect(throws: DecodeError.counterOutOfRange) { try TaskCodec.decodeRecord(TaskCodec.encode(task)) }
        task = Self.record()
        task.spec.attemptsMax = 99
        #expect(throws: DecodeError.counterOutOfRange) { try TaskCodec.decodeRecord(TaskCodec.encode(task)) }
        task = Self.record()
        task.progress.attempt = UInt32.max
        #expect(throws: DecodeError.counterOutOfRange) { try TaskCodec.decodeRecord(TaskCodec.encode(task)) }
    }

    @Test("log entries rebuild the record exactly, and the largest spec fits one log record")
    func logEntries() throws {
        let task = Self.record()
        var tasks: [TaskID: TaskRecord] = [:]
        for entry in TaskLogEntry.entries(rebuilding: task) {
            let record = entry.logRecord
            #expect(record.body.count <= LogRecordFormat.recordBytesMax)
            let decoded = try #require(try TaskLogEntry(record))
            #expect(decoded == entry)
            #expect(decoded.replay(into: &tasks))
        }
        #expect(tasks[task.id] == task)
        #expect(try TaskLogEntry(LogRecord(kind: 0xD1, body: [1])) == nil, "another layer's record is not ours")
        #expect(!TaskLogEntry.progressed(TaskID.idempotent(key: "other"), task.progress, nil).replay(into: &tasks))

        let big = TaskSpec(profile: String(repeating: "p", count: TaskLimits.profileBytesMax),
                           prompt: String(repeating: "x", count: TaskLimits.promptBytesMax),
                           affinity: String(repeating: "a", count: TaskLimits.affinityBytesMax),
                           tags: (0..<TaskLimits.tagsMax).map { _ in String(repeating: "t", count: TaskLimits.tagBytesMax) },
                           idempotencyKey: String(repeating: "k", count: TaskLimits.idempotencyKeyBytesMax))
        #expect(big.validationError() == nil)
        var largest = TaskRecord(id: TaskID.idempotent(key: "k"), spec: big, owner: String(repeating: "n", count: 64),
                                 ownerEpoch: TaskLimits.epochMax, copies: 2, at: .max)
        largest.history += Array(repeating: TaskEvent(state: .task(.queued), attempt: .max / 2, node: String(repeating: "n", count: 64),
                                                      at: .min, reason: String(repeating: "r", count: 300)), count: 3)
        let record = TaskLogEntry.created(largest).logRecord
        #expect(record.body.count <= LogRecordFormat.recordBytesMax)
        #expect(try TaskLogEntry(record) == .created(largest))
    }
}
