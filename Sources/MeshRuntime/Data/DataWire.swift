import MeshCore

/// What a data stream's client asks (one request per stream; issue 10 §2, §4). The first payload
/// byte names the kind; every number read is hostile and checked.
///
/// ```
/// blob      0x60 sha256(32) size(varint)
/// log       0x61 task(16) attempt(varint) offset(varint) follow(u8)
/// artifact  0x62 task(16) name(short)
/// artifacts 0x63 task(16)
/// ```
public enum DataRequest: Equatable, Sendable {
    /// The bytes of a blob (an attachment) this node holds.
    case blob(TaskFile)
    /// An attempt's output log from `offset`; with `follow`, tailing until the attempt ends here.
    case log(TaskID, attempt: UInt32, offset: UInt64, follow: Bool)
    /// One artifact of a task's workspace here.
    case artifact(TaskID, name: String)
    /// The artifacts in a task's workspace here, hashed now (before the history records them).
    case artifacts(TaskID)

    /// The payload.
    public func encoded() -> Bytes {
        var w = ByteWriter(capacity: 64)
        switch self {
        case .blob(let file): w.u8(0x60); w.raw(file.sha256); w.varint(file.size)
        case .log(let task, let attempt, let offset, let follow):
            w.u8(0x61); w.raw(task.bytes); w.varint(UInt64(attempt)); w.varint(offset); w.u8(follow ? 1 : 0)
        case .artifact(let task, let name): w.u8(0x62); w.raw(task.bytes); w.shortString(name)
        case .artifacts(let task): w.u8(0x63); w.raw(task.bytes)
        }
        return w.bytes
    }

    /// Reads a request; nil for anything malformed (a bad name included).
    public static func decode(_ bytes: Bytes) -> DataRequest? {
        var r = ByteReader(bytes)
        do throws(DecodeError) {
            let request: DataRequest
            switch try r.u8() {
            case 0x60:
                let hash = Array(try r.raw(SHA256.byteCount))
                let size = try r.varint()
                guard size <= TaskLimits.fileBytesCeiling else { return nil }
                request = .blob(TaskFile(name: "blob", size: size, sha256: hash))
            case 0x61:
                let task = try TaskCodec.readID(&r)
                let attempt = try r.varint(), offset = try r.varint()
                let follow = try r.u8()
                guard attempt <= UInt64(UInt32.max / 2), offset <= TaskLimits.fileBytesCeiling, follow <= 1 else { return nil }
                request = .log(task, attempt: UInt32(attempt), offset: offset, follow: follow == 1)
            case 0x62:
                let task = try TaskCodec.readID(&r)
                let name = try r.shortString(limit: TaskLimits.fileNameBytesMax)
                guard TaskFile.nameError(name) == nil else { return nil }
                request = .artifact(task, name: name)
            case 0x63: request = .artifacts(try TaskCodec.readID(&r))
            default: return nil
            }
            return r.isAtEnd ? request : nil
        } catch {
            return nil
        }
    }
}

/// What a data stream's server sends back: one `head`, then `chunk`s, then one `end`.
///
/// ```
/// head   0x70 status(u8: 0 ok, 1 not found, 2 refused) value(varint) text(blob)
/// chunk  0x71 bytes…
/// end    0x72 complete(u8: 1 all sent, 0 cut short) reason(short)
/// ```
/// `value` is the blob's or artifact's size, or the log offset the bytes start at; `text` is a
/// reason (not found, refused) or the artifact listing as JSON. An empty chunk is a heartbeat.
public enum DataReply: Equatable, Sendable {
    case head(status: UInt8, value: UInt64, text: String)
    case chunk(Bytes)
    case end(complete: Bool, reason: String)

    /// Head status: the bytes follow.
    public static let ok: UInt8 = 0
    /// Head status: nothing of that name here.
    public static let notFound: UInt8 = 1
    /// Head status: refused (a limit, a bad path).
    public static let refused: UInt8 = 2
    /// The largest `text` of a head (an artifact listing).
    public static let textBytesMax = 1 << 20
    /// The first byte of a chunk's payload.
    static let chunkKind: UInt8 = 0x71

    /// The payload.
    public func encoded() -> Bytes {
        var w = ByteWriter(capacity: 64)
        switch self {
        case .head(let status, let value, let text): w.u8(0x70); w.u8(status); w.varint(value); w.blob(Array(text.utf8))
        case .chunk(let bytes): return [Self.chunkKind] + bytes
        case .end(let complete, let reason): w.u8(0x72); w.u8(complete ? 1 : 0); w.shortString(String(decoding: Array(reason.utf8.prefix(200)), as: UTF8.self))
        }
        return w.bytes
    }

    /// Reads a reply; nil for anything malformed.
    public static func decode(_ bytes: Bytes) -> DataReply? {
        guard let kind = bytes.first else { return nil }
        if kind == Self.chunkKind { return .chunk(Array(bytes.dropFirst())) }
        var r = ByteReader(bytes)
        do throws(DecodeError) {
            _ = try r.u8()
            switch kind {
            case 0x70:
                let status = try r.u8(), value = try r.varint()
                guard status <= 2, let text = String(validating: try r.blob(limit: textBytesMax), as: UTF8.self) else { return nil }
                return r.isAtEnd ? .head(status: status, value: value, text: text) : nil
            case 0x72:
                let complete = try r.u8()
                let reason = try r.shortString(limit: 255)
                return complete <= 1 && r.isAtEnd ? .end(complete: complete == 1, reason: reason) : nil
            default: return nil
            }
        } catch {
            return nil
        }
    }
}
