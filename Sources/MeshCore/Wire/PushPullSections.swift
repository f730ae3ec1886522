/// Optional sections after a push-pull's member states (protocol 3 on): `[tag u8][length varint][body]`
/// until the end of the message. A reader skips a section whose tag it does not know, so a later
/// version may add one without breaking this one. Tags are wire protocol: append only.
enum PushPullSection: UInt8 {
    /// Capacity records: `varint count`, then each record body (`CapacityCodec`).
    case capacity = 1
}

extension MessageCodec {
    static func encodeCapacitySection(_ records: [CapacityRecord], into w: inout ByteWriter) {
        var body = ByteWriter(capacity: 32 * records.count + 4)
        body.varint(UInt64(records.count))
        for record in records { CapacityCodec.encodeBody(record, into: &body) }
        w.u8(PushPullSection.capacity.rawValue)
        w.varint(UInt64(body.bytes.count))
        w.raw(body.bytes)
    }

    /// Reads every section up to the end; returns the capacity records, nil when there is no
    /// capacity section. A section repeated, or one whose body does not parse, spoils the message.
    static func decodeSections(from r: inout ByteReader) throws(DecodeError) -> [CapacityRecord]? {
        var capacities: [CapacityRecord]?
        while !r.isAtEnd {
            let (tag, bodyReader) = try entry(from: &r)
            guard tag == PushPullSection.capacity.rawValue else { continue }
            guard capacities == nil else { throw .malformed }
            var body = bodyReader
            capacities = try decodeCapacities(from: &body)
            guard body.isAtEnd else { throw .malformed }
        }
        return capacities
    }

    static func decodeCapacities(from r: inout ByteReader) throws(DecodeError) -> [CapacityRecord] {
        let count = try r.varint()
        guard count <= UInt64(WireLimits.pushPullMembersMax) else { throw .oversized }
        // Each record takes at least 11 bytes: refuse counts the bytes cannot hold before allocating.
        guard count * 11 <= UInt64(r.remaining) else { throw .truncated }
        var records: [CapacityRecord] = []
        records.reserveCapacity(Int(count))
        for _ in 0..<count { records.append(try CapacityCodec.decodeBody(from: &r)) }
        return records
    }
}
