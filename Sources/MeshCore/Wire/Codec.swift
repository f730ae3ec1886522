/// Binary encoding of messages: `[kind u8][body length varint][body]`, integers big-endian,
/// incarnations as varints, names as one-byte-length UTF-8.
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
        case .pushPull(let p):
            w.u8(p.join ? 1 : 0)
            w.varint(UInt64(p.members.count))
            for m in p.members {
                w.shortString(m.name); w.address(m.address); w.varint(m.incarnation)
                w.u8(m.status.rawValue); w.blob(m.meta)
            }
        }
    }

    /// Reads one message; the reader ends just past it. Trailing bytes inside a body are
    /// malformed (a newer peer must add a new kind, not grow an old one silently).
    public static func decode(from reader: inout ByteReader) throws(DecodeError) -> Message {
        let rawKind = try reader.u8()
        let length = try reader.varint()
        guard length <= UInt64(reader.remaining) else { throw .truncated }
        let bodyEnd = reader.offset + Int(length)
        var body = ByteReader(reader.bytes, offset: reader.offset, end: bodyEnd)
        _ = try reader.raw(Int(length))
        guard let kind = Message.Kind(rawValue: rawKind) else { throw .unknownMessageType(rawKind) }
        let message = try decodeBody(kind, from: &body)
        guard body.isAtEnd else { throw .malformed }
        return message
    }

    static func name(_ r: inout ByteReader) throws(DecodeError) -> String {
        let s = try r.shortString(limit: WireLimits.nameBytesMax)
        guard !s.isEmpty else { throw .malformed }
        return s
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
            let incarnation = try r.varint()
            let n = try name(&r)
            let address = try r.address()
            return .alive(Alive(incarnation: incarnation, name: n, address: address,
                                meta: try r.blob(limit: WireLimits.metaBytesMax)))
        case .suspect, .dead:
            let incarnation = try r.varint()
            let n = try name(&r)
            let accusation = Accusation(incarnation: incarnation, name: n, from: try name(&r))
            return kind == .suspect ? .suspect(accusation) : .dead(accusation)
        case .leave:
            let incarnation = try r.varint()
            return .leave(Leave(incarnation: incarnation, name: try name(&r)))
        case .pushPull:
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
                let incarnation = try r.varint()
                guard let status = MemberStatus(rawValue: try r.u8()) else { throw .malformed }
                let meta = try r.blob(limit: WireLimits.metaBytesMax)
                members.append(MemberState(name: n, address: address, incarnation: incarnation,
                                           status: status, meta: meta))
            }
            return .pushPull(PushPull(join: flag == 1, members: members))
        }
    }
}
