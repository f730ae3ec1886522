/// The fields a member advertises in the metadata of its alive messages (and push-pull entries).
///
/// Metadata is an opaque blob on the wire (`Alive.meta`, at most `WireLimits.metaBytesMax` bytes),
/// so adding fields to it changes no message kind: a build that does not know a field skips it.
/// Layout: fields one after another, each `[field u8][length u8][value]`, field numbers append
/// only. A blob that does not parse as fields (an older or foreign use of metadata) reads as
/// holding no fields; every reader treats it as hostile input and never traps.
public enum MemberMeta {
    /// Field 1: the fingerprint of the member's primary key (`MeshKey.fingerprint`, 8 bytes), so
    /// `mesh keys list` can show which key each member makes its tags under. Never the key.
    public static let keyFingerprintField: UInt8 = 1

    /// The fields of `meta` in order, or nil when it is not a field list.
    public static func fields(_ meta: Bytes) -> [(field: UInt8, value: Bytes)]? {
        var result: [(field: UInt8, value: Bytes)] = []
        var offset = 0
        while offset < meta.count {
            guard meta.count - offset >= 2 else { return nil }
            let field = meta[offset]
            let length = Int(meta[offset + 1])
            offset += 2
            guard meta.count - offset >= length else { return nil }
            result.append((field, Array(meta[offset..<(offset + length)])))
            offset += length
        }
        return result
    }

    /// The value of `field` in `meta`, or nil.
    public static func value(of field: UInt8, in meta: Bytes) -> Bytes? {
        fields(meta)?.first { $0.field == field }?.value
    }

    /// The primary key fingerprint a member advertises, as hex; nil when it advertises none.
    public static func keyFingerprint(in meta: Bytes) -> String? {
        guard let value = value(of: keyFingerprintField, in: meta), value.count == MeshKey.fingerprintBytes else { return nil }
        return MeshKey.hex(value)
    }

    /// `meta` with `field` set to `value` (at most 255 bytes), the other fields kept in order. A
    /// `meta` that is not a field list is replaced by the one field.
    public static func setting(_ field: UInt8, to value: Bytes, in meta: Bytes) -> Bytes {
        precondition(value.count <= 255, "meta field of \(value.count) bytes")
        var out = Bytes()
        var replaced = false
        for existing in fields(meta) ?? [] {
            let bytes = existing.field == field ? value : existing.value
            if existing.field == field { replaced = true }
            out.append(existing.field)
            out.append(UInt8(bytes.count))
            out.append(contentsOf: bytes)
        }
        if !replaced {
            out.append(field)
            out.append(UInt8(value.count))
            out.append(contentsOf: value)
        }
        return out
    }

    /// Metadata advertising `keyring`'s primary key fingerprint (empty without a keyring).
    public static func advertising(_ keyring: Keyring?, in meta: Bytes = []) -> Bytes {
        guard let keyring else { return meta }
        return setting(keyFingerprintField, to: keyring.primary.fingerprint, in: meta)
    }
}
