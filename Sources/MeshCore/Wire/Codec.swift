/// Binary encoding of messages: `[kind u8][body length varint][body]`, integers big-endian,
/// counters (incarnations) as varints, names as one-byte-length UTF-8.
///
/// The length prefix is what makes the wire evolvable: a reader skips the body of a kind it does
/// not know (`decodeEntry`). A body that holds a bad name or an out-of-range counter is skipped the
/// same way, with its own reason; a body whose bytes do not parse spoils the whole datagram.
public enum MessageCodec {
    /// Appends one message with its kind and length prefix.
    public static func encode(_ message: Message, into writer: inout ByteWriter) {
        var body = ByteWriter(capacity: 32)
        encodeBody(message, into: &body)
        writer.u8(message.kind.rawValue)
        writer.varint(UInt64(body.bytes.count))
        writer.raw(body.bytes)
    }

    /// One message as standalone bytes (kind, length, body).
    public static func encode(_ message: Message) -> Bytes {
        var writer = ByteWriter(capacity: 48)
        encode(message, into: &writer)
        return writer.bytes
    }

    static func encodeBody(_ message: Message, into w: inout ByteWriter) {
        switch message {
        case .ping(let p):
            w.u32(p.sequence); w.shortString(p.target); w.shortString(p.source)
        case .ack(let sequence), .nack(let sequence), .indirectAck(let sequence):
            w.u32(sequence)
        case .pingRequest(let r):
            w.u32(r.sequence); w.shortString(r.target); w.address(r.targetAddress)
        case .alive(let a):
            w.varint(a.incarnation); w.shortString(a.name); w.address(a.address); w.blob(a.meta)
        case .suspect(let s), .dead(let s):
            w.varint(s.incarnation); w.shortString(s.name); w.shortString(s.from)
        case .leave(let l):
            w.varint(l.incarnation); w.shortString(l.name)
        case .roundTripQuery(let q):
            w.shortString(q.target)
        case .roundTripAnswer(let a):
            w.shortString(a.target)
            w.u32(RoundTripAnswer.encode(a.smoothedMicroseconds)); w.u32(RoundTripAnswer.encode(a.lastMicroseconds))
        case .pushPull(let p):
            w.u8(p.versions.minimum); w.u8(p.versions.current)
            w.u8(p.join ? 1 : 0)
            w.varint(UInt64(p.members.count))
            for m in p.members {
                w.shortString(m.name); w.address(m.address); w.varint(m.incarnation)
                w.u8(m.status.rawValue); w.blob(m.meta)
            }
            if let records = p.capacities { encodeCapacitySection(records, into: &w) }
        case .capacity(let record):
            CapacityCodec.encodeBody(record, into: &w)
        }
    }

    /// Reads one message; the reader ends just past it. Any problem, an unknown kind included,
    /// is thrown (a stream frame holds exactly one message this build must understand). Trailing
    /// bytes inside a body are malformed: a newer peer adds a new kind, it never grows an old one.
    public static func decode(from reader: inout ByteReader) throws(DecodeError) -> Message {
        let (rawKind, bodyReader) = try entry(from: &reader)
        var body = bodyReader
        guard let kind = Message.Kind(rawValue: rawKind) else { throw .unknownMessageType(rawKind) }
        return try decodeWhole(kind, from: &body)
    }

    /// Reads one message of a compound packet; the reader ends just past it. A message this build
    /// cannot take (an unknown kind, a bad name, a counter out of range) is skipped thanks to its
    /// length prefix and returned as a failure with its reason; the caller counts it and goes on.
    /// Bytes that do not parse are thrown: nothing after them can be trusted.
    public static func decodeEntry(from reader: inout ByteReader) throws(DecodeError) -> Result<Message, DropReason> {
        let (rawKind, bodyReader) = try entry(from: &reader)
        var body = bodyReader
        guard let kind = Message.Kind(rawValue: rawKind) else { return .failure(.unknownMessageType) }
        do throws(DecodeError) {
            return .success(try decodeWhole(kind, from: &body))
        } catch {
            switch error {
            case .badName, .counterOutOfRange: return .failure(DropReason(error))
            case .truncated, .oversized, .malformed, .unknownMessageType: throw error
            }
        }
    }

    /// Reads a kind and a length prefix; returns the kind and a reader over exactly the body.
    static func entry(from reader: inout ByteReader) throws(DecodeError) -> (UInt8, ByteReader) {
        let rawKind = try reader.u8()
        let length = try reader.varint()
        guard length <= UInt64(reader.remaining) else { throw .truncated }
        let body = ByteReader(reader.bytes, offset: reader.offset, end: reader.offset + Int(length))
        _ = try reader.raw(Int(length))
        return (rawKind, body)
    }

    static func decodeWhole(_ kind: Message.Kind, from body: inout ByteReader) throws(DecodeError) -> Message {
        let message = try decodeBody(kind, from: &body)
        guard body.isAtEnd else { throw .malformed }
        return message
    }

    /// A member name: a one-byte length of at most `nameBytesMax`, then bytes within the name
    /// rule (`MemberName`), checked before they become a `String`.
    static func name(_ r: inout ByteReader) throws(DecodeError) -> String {
        let length = Int(try r.u8())
        guard length <= WireLimits.nameBytesMax else { throw .oversized }
        let bytes = try r.raw(length)
        guard !bytes.isEmpty, bytes.allSatisfy(MemberName.isAllowed) else { throw .badName }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func decodeBody(_ kind: Message.Kind, from r: inout ByteReader) throws(DecodeError) -> Message {
        switch kind {
        case .ping:
            let sequence = try r.u32()
            let target = try name(&r)
            return .ping(Ping(sequence: sequence, target: target, source: try name(&r)))
        case .ack: return .ack(sequence: try r.u32())
        case .nack: return .nack(sequence: try r.u32())
        case .indirectAck: return .indirectAck(sequence: try r.u32())
        case .pingRequest:
            let sequence = try r.u32()
            let target = try name(&r)
            return .pingRequest(PingRequest(sequence: sequence, target: target, targetAddress: try r.address()))
        case .alive:
            let incarnation = try r.counter()
            let n = try name(&r)
            let address = try r.address()
            return .alive(Alive(incarnation: incarnation, name: n, address: address,
                                meta: try r.blob(limit: WireLimits.metaBytesMax)))
        case .suspect, .dead:
            let incarnation = try r.counter()
            let n = try name(&r)
            let accusation = Accusation(incarnation: incarnation, name: n, from: try name(&r))
            return kind == .suspect ? .suspect(accusation) : .dead(accusation)
        case .leave:
            let incarnation = try r.counter()
            return .leave(Leave(incarnation: incarnation, name: try name(&r)))
        case .pushPull:
            return .pushPull(try decodePushPull(from: &r))
        case .capacity:
            return .capacity(try CapacityCodec.decodeBody(from: &r))
        case .roundTripQuery:
            return .roundTripQuery(RoundTripQuery(target: try name(&r)))
        case .roundTripAnswer:
            let target = try name(&r)
            let smoothed = RoundTripAnswer.decode(try r.u32())
            return .roundTripAnswer(RoundTripAnswer(target: target, smoothedMicroseconds: smoothed,
                                                    lastMicroseconds: RoundTripAnswer.decode(try r.u32())))
        }
    }

    static func decodePushPull(from r: inout ByteReader) throws(DecodeError) -> PushPull {
        let versions = ProtocolRange(minimum: try r.u8(), current: try r.u8())
        let flag = try r.u8()
        guard flag <= 1 else { throw .malformed }
        let count = try r.varint()
        guard count <= UInt64(WireLimits.pushPullMembersMax) else { throw .oversized }
        // Each entry takes at least 10 bytes: refuse counts the bytes cannot hold before allocating.
        guard count * 10 <= UInt64(r.remaining) else { throw .truncated }
        var members: [MemberState] = []
        members.reserveCapacity(Int(count))
        for _ in 0..<count {
            let n = try name(&r)
            let address = try r.address()
            let incarnation = try r.counter()
            guard let status = MemberStatus(rawValue: try r.u8()) else { throw .malformed }
            let meta = try r.blob(limit: WireLimits.metaBytesMax)
            members.append(MemberState(name: n, address: address, incarnation: incarnation,
                                       status: status, meta: meta))
        }
        let capacities = try decodeSections(from: &r)
        return PushPull(versions: versions, join: flag == 1, members: members, capacities: capacities)
    }
}

extension ByteReader {
    /// A varint counter (an incarnation; later epochs and attempts) of at most `WireLimits.counterMax`.
    mutating func counter() throws(DecodeError) -> UInt64 {
        let value = try varint()
        guard value <= WireLimits.counterMax else { throw .counterOutOfRange }
        return value
    }
}
