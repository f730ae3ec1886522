/// The body of a `capacity` message (kind 11), and the capacity section of a push-pull:
///
/// ```
/// varint incarnation, name (u8 length + bytes), varint version,
/// varint queueLength, varint cpuLoadHundredths, u8 memoryFreeCode, u8 diskFreeCode,
/// meshVersion (u8 length + bytes), u8 tag count, tags, u8 profile count,
/// per profile: name, varint slots, varint busy, u8 tag count, tags
/// ```
/// About 40 bytes for a node with one profile and two tags. Every count and length is checked
/// against `CapacityLimits` before anything is allocated; a record that breaks one is dropped.
public enum CapacityCodec {
    /// Appends the body of `record`.
    public static func encodeBody(_ record: CapacityRecord, into w: inout ByteWriter) {
        w.varint(record.incarnation); w.shortString(record.name); w.varint(record.version)
        w.varint(record.queueLength); w.varint(record.cpuLoadHundredths)
        w.u8(record.memoryFreeCode); w.u8(record.diskFreeCode)
        w.shortString(record.meshVersion)
        encodeTags(record.tags, into: &w)
        w.u8(UInt8(truncatingIfNeeded: record.profiles.count))
        for p in record.profiles {
            w.shortString(p.name); w.varint(UInt64(clamping: p.slots)); w.varint(UInt64(clamping: p.busy))
            encodeTags(p.tags, into: &w)
        }
    }

    /// The encoded body's size: what config validation checks against `recordBytesMax`.
    public static func bodyBytes(_ record: CapacityRecord) -> Int {
        var w = ByteWriter(capacity: 64)
        encodeBody(record, into: &w)
        return w.bytes.count
    }

    static func encodeTags(_ tags: [String], into w: inout ByteWriter) {
        w.u8(UInt8(truncatingIfNeeded: tags.count))
        for tag in tags { w.shortString(tag) }
    }

    /// Reads one record body. Hostile numbers are refused (`malformed`, `oversized`,
    /// `counterOutOfRange`, `badName`), never trusted.
    public static func decodeBody(from r: inout ByteReader) throws(DecodeError) -> CapacityRecord {
        let incarnation = try r.counter()
        let name = try MessageCodec.name(&r)
        let version = try r.counter()
        let queue = min(try r.varint(), CapacityLimits.queueLengthMax)
        let cpu = min(try r.varint(), CapacityLimits.cpuLoadHundredthsMax)
        let memory = try r.u8(), disk = try r.u8()
        let meshVersion = try label(&r, limit: CapacityLimits.meshVersionBytesMax, allowsEmpty: true)
        let tags = try decodeTags(from: &r)
        let count = Int(try r.u8())
        guard count <= CapacityLimits.profilesMax else { throw .oversized }
        var profiles: [CapacityProfile] = []
        profiles.reserveCapacity(count)
        for _ in 0..<count {
            let profileName = try label(&r, limit: CapacityLimits.nameBytesMax, allowsEmpty: false)
            let slots = try r.varint(), busy = try r.varint()
            guard slots >= 1, slots <= UInt64(CapacityLimits.slotsMax), busy <= slots else { throw .malformed }
            guard !profiles.contains(where: { $0.name == profileName }) else { throw .malformed }
            profiles.append(CapacityProfile(name: profileName, slots: Int(slots), busy: Int(busy),
                                            tags: try decodeTags(from: &r)))
        }
        return CapacityRecord(name: name, incarnation: incarnation, version: version, profiles: profiles,
                              tags: tags, queueLength: queue, cpuLoadHundredths: cpu, memoryFreeCode: memory,
                              diskFreeCode: disk, meshVersion: meshVersion)
    }

    static func decodeTags(from r: inout ByteReader) throws(DecodeError) -> [String] {
        let count = Int(try r.u8())
        guard count <= CapacityLimits.tagsMax else { throw .oversized }
        var tags: [String] = []
        tags.reserveCapacity(count)
        for _ in 0..<count { tags.append(try label(&r, limit: CapacityLimits.nameBytesMax, allowsEmpty: false)) }
        return tags
    }

    /// A profile name, tag or version string: the member name rule (letters, digits, `-_.`) within
    /// `limit` bytes, checked before it becomes a `String`.
    static func label(_ r: inout ByteReader, limit: Int, allowsEmpty: Bool) throws(DecodeError) -> String {
        let length = Int(try r.u8())
        guard length <= limit else { throw .oversized }
        let bytes = try r.raw(length)
        guard allowsEmpty || !bytes.isEmpty, bytes.allSatisfy(MemberName.isAllowed) else { throw .badName }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension CapacityLimits {
    /// Why `text` cannot be a profile name or tag (what a config check prints); nil when it can.
    public static func labelError(_ text: String, what: String) -> String? {
        let count = text.utf8.count
        if count == 0 || count > nameBytesMax { return "\(what) must be 1 to \(nameBytesMax) bytes (got \(count))" }
        if !text.utf8.allSatisfy(MemberName.isAllowed) {
            return "\(what) '\(MemberName.printable(text))' may use only letters, digits, '-', '_' and '.'"
        }
        return nil
    }
}
