/// A takeover this node made that may be held somewhere (kind 0x23, append-only): "this node took
/// `id` over at `epoch`". The taker syncs it before it stores the takeover on the new replica, so
/// after a crash it still knows that the next epoch may exist on another member even though its
/// own log holds only the older copy. Until that is settled it refuses the old owner's stores of
/// the older epoch: a late terminal state from the old owner, accepted here, would count while
/// the newer epoch runs elsewhere (a task finished twice).
///
/// A mark stops counting once the record this node holds reaches its epoch (the takeover
/// committed, or a newer copy was kept) or is terminal; an entry with `isCleared` ends it when a
/// verification with every member known found no copy of that epoch or newer
/// (`TaskMachine+Marks`).
public struct TaskTakeoverMark: Equatable, Sendable {
    /// The log record kind.
    public static let kind: UInt8 = 0x23

    public var id: TaskID
    /// The epoch of the takeover.
    public var epoch: UInt64
    /// True for the entry that ends the mark.
    public var isCleared: Bool

    public init(id: TaskID, epoch: UInt64, isCleared: Bool = false) {
        self.id = id
        self.epoch = epoch
        self.isCleared = isCleared
    }

    /// As a log record.
    public var logRecord: LogRecord {
        var w = TaskCodec.entryWriter(id, capacity: TaskID.byteCount + 10)
        w.u64(epoch)
        w.u8(isCleared ? 1 : 0)
        return LogRecord(kind: Self.kind, body: w.bytes)
    }

    /// The mark a log record holds; nil for another kind. Throws for one that does not decode (an
    /// epoch past `TaskLimits.epochMax` included).
    public init?(_ record: LogRecord) throws(DecodeError) {
        guard case (let id, var r)? = try TaskCodec.entryReader(record, kind: Self.kind) else { return nil }
        self.id = id
        epoch = try r.u64()
        guard epoch >= 1, epoch <= TaskLimits.epochMax else { throw .malformed }
        switch try r.u8() {
        case 0: isCleared = false
        case 1: isCleared = true
        default: throw .malformed
        }
        guard r.isAtEnd else { throw .malformed }
    }
}
