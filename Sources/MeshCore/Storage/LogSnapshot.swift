/// A snapshot in the write-ahead log (ARCHITECTURE §8: "snapshots for compaction"), shared by the
/// runtime's file and the simulator's disk so both behave alike.
///
/// The core asks for one with `Directive.compactLog(records)`: the records, by themselves, stand for
/// every record appended before that directive. The shell replaces the log with a new file holding
/// a header record and the snapshot records (written beside, fsynced, renamed over, directory
/// fsynced: a crash leaves the old log or the new one, never a mix), and later appends follow them.
/// It answers `Input.logCompacted(upTo:)`.
///
/// Positions never go back: the header holds the base position `P` (the appended position when the
/// core asked), so a log that starts with a snapshot header of base `P` and `K` snapshot records,
/// followed by `N` more records, is at position `P + N`. A log without a header starts at base 0.
public struct LogSnapshotHeader: Equatable, Sendable {
    /// The reserved record kind of a snapshot header; no layer may append a record of this kind.
    public static let kind: UInt8 = 0xFF

    /// The position the snapshot stands for: records `0..<basePosition` are replaced by it.
    public var basePosition: LogPosition
    /// How many records after the header belong to the snapshot.
    public var recordCount: UInt64

    /// A header.
    public init(basePosition: LogPosition, recordCount: UInt64) {
        self.basePosition = basePosition
        self.recordCount = recordCount
    }

    /// The header as a log record.
    public var logRecord: LogRecord {
        var w = ByteWriter(capacity: 17)
        w.u8(1)
        w.u64(basePosition)
        w.u64(recordCount)
        return LogRecord(kind: Self.kind, body: w.bytes)
    }

    /// The header `record` holds; nil if it is not a header or is malformed.
    public init?(_ record: LogRecord) {
        guard record.kind == Self.kind, record.body.count == 17, record.body[0] == 1 else { return nil }
        var r = ByteReader(record.body, offset: 1)
        guard let base = try? r.u64(), let count = try? r.u64(), base <= WireLimits.counterMax else { return nil }
        basePosition = base
        recordCount = count
    }
}

/// What recovery hands the core at start (`NodeConfig.recoveredLog`): the log's records, snapshot
/// records first, and the position after the last of them (where the next append lands).
public struct RecoveredLog: Equatable, Sendable {
    /// The whole records, in order, without the snapshot header: all of them durable.
    public var records: [LogRecord]
    /// The position after the last record (a snapshot's base plus the records appended after it).
    public var position: LogPosition

    /// A recovered log.
    public init(records: [LogRecord] = [], position: LogPosition = 0) {
        self.records = records
        self.position = position
    }

    /// The log `scan` found: a leading snapshot header sets the base position and is dropped.
    /// Returns nil when the header is damaged or claims more records than the file holds (which no
    /// writer produces: a snapshot is renamed into place whole).
    public init?(scanned records: [LogRecord]) {
        guard let first = records.first, first.kind == LogSnapshotHeader.kind else {
            self.init(records: records, position: LogPosition(records.count))
            return
        }
        guard let header = LogSnapshotHeader(first), header.recordCount <= UInt64(records.count - 1) else { return nil }
        let rest = records.count - 1 - Int(header.recordCount)
        self.init(records: Array(records.dropFirst()), position: header.basePosition &+ LogPosition(rest))
    }
}
