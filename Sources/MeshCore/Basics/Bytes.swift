/// Raw bytes, as they travel on the wire.
public typealias Bytes = [UInt8]

/// Appends big-endian integers, varints and length-prefixed fields to a byte buffer.
public struct ByteWriter {
    public var bytes: Bytes

    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    @inlinable public mutating func u8(_ v: UInt8) { bytes.append(v) }
    @inlinable public mutating func u16(_ v: UInt16) { bytes.append(UInt8(v >> 8)); bytes.append(UInt8(v & 0xFF)) }
    @inlinable public mutating func u32(_ v: UInt32) {
        bytes.append(UInt8(v >> 24)); bytes.append(UInt8(v >> 16 & 0xFF))
        bytes.append(UInt8(v >> 8 & 0xFF)); bytes.append(UInt8(v & 0xFF))
    }
    @inlinable public mutating func u64(_ v: UInt64) { u32(UInt32(v >> 32)); u32(UInt32(v & 0xFFFF_FFFF)) }

    /// Unsigned LEB128.
    @inlinable public mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }

    /// A string as a one-byte length and UTF-8; the caller has checked the length limit.
    public mutating func shortString(_ s: String) {
        let utf8 = Array(s.utf8)
        precondition(utf8.count <= 255, "shortString of \(utf8.count) bytes")
        u8(UInt8(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// Bytes with a varint length prefix.
    public mutating func blob(_ b: Bytes) {
        varint(UInt64(b.count))
        bytes.append(contentsOf: b)
    }

    public mutating func address(_ a: Address) { u32(a.ipv4); u16(a.port) }
    public mutating func raw(_ b: some Sequence<UInt8>) { bytes.append(contentsOf: b) }
}

/// Why bytes from the network could not be decoded. Each is counted, never fatal.
public enum DecodeError: Error, Equatable, Sendable {
    case truncated
    case oversized
    case malformed
    case unknownMessageType(UInt8)
    /// A member name that breaks the name rule (`MemberName`).
    case badName
    /// A counter (incarnation) above `WireLimits.counterMax`.
    case counterOutOfRange
}

/// Reads what `ByteWriter` writes, checking every length against what is left and a limit.
public struct ByteReader {
    public let bytes: Bytes
    public private(set) var offset: Int
    public let end: Int

    public init(_ bytes: Bytes, offset: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        self.offset = offset
        self.end = end ?? bytes.count
    }

    public var remaining: Int { end - offset }
    public var isAtEnd: Bool { offset >= end }

    public mutating func u8() throws(DecodeError) -> UInt8 {
        guard offset < end else { throw .truncated }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func u16() throws(DecodeError) -> UInt16 {
        guard remaining >= 2 else { throw .truncated }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    public mutating func u32() throws(DecodeError) -> UInt32 {
        guard remaining >= 4 else { throw .truncated }
        defer { offset += 4 }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
            | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    public mutating func u64() throws(DecodeError) -> UInt64 {
        let high = try u32()
        return UInt64(high) << 32 | UInt64(try u32())
    }

    public mutating func varint() throws(DecodeError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try u8()
            if shift == 63 && byte > 1 { throw .malformed }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw .malformed }
        }
    }

    /// A one-byte-length UTF-8 string of at most `limit` bytes.
    public mutating func shortString(limit: Int) throws(DecodeError) -> String {
        let length = Int(try u8())
        guard length <= limit else { throw .oversized }
        guard remaining >= length else { throw .truncated }
        let slice = bytes[offset..<(offset + length)]
        offset += length
        guard let s = String(validating: slice, as: UTF8.self) else { throw .malformed }
        return s
    }

    /// Varint-length bytes of at most `limit`.
    public mutating func blob(limit: Int) throws(DecodeError) -> Bytes {
        let length = try varint()
        guard length <= UInt64(limit) else { throw .oversized }
        guard remaining >= Int(length) else { throw .truncated }
        defer { offset += Int(length) }
        return Array(bytes[offset..<(offset + Int(length))])
    }

    public mutating func address() throws(DecodeError) -> Address {
        let ip = try u32()
        return Address(ipv4: ip, port: try u16())
    }

    /// The next `count` bytes.
    public mutating func raw(_ count: Int) throws(DecodeError) -> ArraySlice<UInt8> {
        guard count >= 0, remaining >= count else { throw .truncated }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }
}
