/// What a member answered a `cancel` (issue 10 §5).
public enum TaskCancelAnswer: Equatable, Sendable {
    /// The owner cancelled the task: `cancelled` is synced on its copies (here is the record).
    case cancelled(TaskRecord)
    /// The task had already ended (here is the owner's record); nothing changed.
    case finished(TaskRecord)
    /// This member does not own the task; its copy, if it holds one.
    case notOwner(TaskRecord?)
    /// The owner sent the stop to the running attempt (its record then); `cancelled` follows once
    /// the attempt has exited, within `stopWithin` (its profile's grace and a margin). A later
    /// `cancel` of the same task waits for that outcome.
    case cancelling(TaskRecord, stopWithin: Nanoseconds)
    /// The owner could not cancel it now (it is leaving, the task is being stored, a takeover
    /// fenced it off); says why.
    case refused(String)
}

extension TaskWire {
    static func write(_ answer: TaskCancelAnswer, to w: inout ByteWriter) {
        switch answer {
        case .cancelled(let record): w.u8(0); w.blob(TaskCodec.encode(record))
        case .finished(let record): w.u8(1); w.blob(TaskCodec.encode(record))
        case .notOwner(nil): w.u8(2)
        case .notOwner(let record?): w.u8(3); w.blob(TaskCodec.encode(record))
        case .refused(let why): w.u8(4); w.shortString(TaskEvent.cut(why, to: TaskLimits.reasonBytesMax))
        case .cancelling(let record, let within):
            w.u8(5); w.blob(TaskCodec.encode(record)); w.u64(UInt64(clamping: min(max(within, 0), TaskSettings.cancelStopMax)))
        }
    }

    static func readCancelAnswer(_ r: inout ByteReader) throws(DecodeError) -> TaskCancelAnswer {
        switch try r.u8() {
        case 0: return .cancelled(try readRecord(&r))
        case 1: return .finished(try readRecord(&r))
        case 2: return .notOwner(nil)
        case 3: return .notOwner(try readRecord(&r))
        case 4: return .refused(try r.shortString(limit: TaskLimits.reasonBytesMax))
        case 5:
            let record = try readRecord(&r)
            return .cancelling(record, stopWithin: Nanoseconds(clamping: min(try r.u64(), UInt64(TaskSettings.cancelStopMax))))
        default: throw .malformed
        }
    }
}
