/// One record of a node's write-ahead log (ARCHITECTURE §8): a kind that says how to read the body,
/// and the body. The core emits records in `append` directives; only the shells touch files.
public struct LogRecord: Equatable, Sendable {
    /// What the body holds; the layer that writes a kind owns its number (append-only, like wire tags).
    public var kind: UInt8
    /// The record's bytes, at most `LogRecordFormat.recordBytesMax`.
    public var body: Bytes

    /// A record of `kind` holding `body`.
    public init(kind: UInt8, body: Bytes) {
        self.kind = kind
        self.body = body
    }
}

/// How many records of a log are durable: records `0..<position` are synced, so position 0 is an
/// empty log. The core learns it through `logSynced(upTo:)`.
public typealias LogPosition = UInt64

/// Why a log's bytes stop being whole records before their end.
public enum LogTailDamage: Error, Equatable, Sendable {
    /// The bytes end inside a record's header or body: a write that a crash cut short.
    case truncated
    /// A whole record is present but its CRC-32C does not match its kind and body: a torn write
    /// (the header reached the disk, part of the body did not) or corruption.
    case badChecksum
    /// A header declares a body longer than `LogRecordFormat.recordBytesMax`, which no writer produces.
    case oversizedLength
}

/// What `LogRecordFormat.scan` found: the whole records in order, where they end, and what followed.
public struct LogScan: Equatable, Sendable {
    /// The whole, checksummed records from the start of the bytes, in order.
    public var records: [LogRecord]
    /// The length of the prefix that holds exactly `records`; recovery truncates the file here.
    public var validByteCount: Int
    /// Why the bytes after `validByteCount` are not a record; nil when the bytes end exactly
    /// after the last whole record.
    public var tailDamage: LogTailDamage?

    /// A scan result; `LogRecordFormat.scan` is the way to get one.
    public init(records: [LogRecord], validByteCount: Int, tailDamage: LogTailDamage?) {
        self.records = records
        self.validByteCount = validByteCount
        self.tailDamage = tailDamage
    }

    /// The position after the last whole record.
    public var position: LogPosition { LogPosition(records.count) }
}

/// The byte layout of the write-ahead log: a plain concatenation of records, each framed as
///
/// ```
/// [length: u32 big-endian]   the body's byte count, at most recordBytesMax
/// [crc:    u32 big-endian]   CRC-32C of kind followed by body
/// [kind:   u8]
/// [body:   length bytes]
/// ```
///
/// There is no file header, so an empty file is an empty log. A reader takes records from the start
/// and stops at the first one that is cut short, fails its checksum or declares an impossible
/// length: everything before it is the log, everything from it on is a torn tail (a crash during
/// a write) that recovery truncates. Records after a damaged one are never trusted, because the
/// writer only syncs a prefix: nothing after an unsynced record was ever promised to anyone.
///
/// (Not `LogFormat`: that name is the runtime logger's text/JSON output setting.)
public enum LogRecordFormat {
    /// The largest body of one record: a 1 MiB stream frame (the largest unit the core moves) plus
    /// 4 KiB for the fields that describe it. A header declaring more is damage, not a record.
    public static let recordBytesMax = (1 << 20) + 4096

    /// The bytes before each body: length (4), CRC-32C (4) and kind (1).
    public static let headerByteCount = 9

    /// The framed bytes of `record`. Its body must fit `recordBytesMax`: a larger one is a bug in
    /// the layer that built it.
    public static func encode(_ record: LogRecord) -> Bytes {
        precondition(record.body.count <= recordBytesMax,
                     "log record body of \(record.body.count) bytes exceeds \(recordBytesMax)")
        var writer = ByteWriter(capacity: headerByteCount + record.body.count)
        writer.u32(UInt32(record.body.count))
        writer.u32(checksum(kind: record.kind, body: record.body))
        writer.u8(record.kind)
        writer.raw(record.body)
        return writer.bytes
    }

    /// The CRC-32C that frames a record of `kind` holding `body`.
    public static func checksum(kind: UInt8, body: some Collection<UInt8>) -> UInt32 {
        var crc = CRC32C()
        crc.update(CollectionOfOne(kind))
        crc.update(body)
        return crc.value
    }

    /// Reads the whole records at the start of `bytes`, stopping at the first damaged one.
    /// Never traps, whatever the bytes hold.
    public static func scan(_ bytes: Bytes) -> LogScan {
        var records: [LogRecord] = []
        var offset = 0
        while offset < bytes.count {
            do {
                let (record, end) = try record(in: bytes, at: offset)
                records.append(record)
                offset = end
            } catch {
                return LogScan(records: records, validByteCount: offset, tailDamage: error)
            }
        }
        return LogScan(records: records, validByteCount: offset, tailDamage: nil)
    }

    /// The record that starts at `offset` and the offset just after it.
    static func record(in bytes: Bytes, at offset: Int) throws(LogTailDamage) -> (record: LogRecord, end: Int) {
        var reader = ByteReader(bytes, offset: offset)
        guard let length = try? reader.u32() else { throw .truncated }
        guard length <= UInt32(recordBytesMax) else { throw .oversizedLength }
        guard let crc = try? reader.u32(), let kind = try? reader.u8(), let body = try? reader.raw(Int(length)) else {
            throw .truncated
        }
        guard checksum(kind: kind, body: body) == crc else { throw .badChecksum }
        return (LogRecord(kind: kind, body: Array(body)), reader.offset)
    }
}
