/// Datagram framing and authentication.
///
/// ```
/// [version u8][flags u8][label hash u32][tag 16 bytes, when flags & authenticated][messages…]
/// ```
/// The tag is HMAC-SHA-256 under the keyring's primary key, truncated to 16 bytes (RFC 4231 §4.7),
/// over the 6 header bytes and the messages. Only the label's 32-bit FNV-1a hash travels: it keeps
/// two meshes apart even without keys, and with keys a wrong label is told apart from a bad key.
/// Messages follow one another until the end (more than one is a compound packet).
public struct PacketCodec: Sendable {
    public static let headerBytes = 6
    static let authenticatedFlag: UInt8 = 0x01

    public let keyring: Keyring?
    public let labelHash: UInt32

    public init(keyring: Keyring?, label: String) {
        self.keyring = keyring
        self.labelHash = PacketCodec.hashLabel(label)
    }

    /// FNV-1a, 32 bits: fixed and documented, so every build agrees.
    public static func hashLabel(_ label: String) -> UInt32 {
        var hash: UInt32 = 0x811C_9DC5
        for byte in label.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        return hash
    }

    /// Bytes that header and tag take in every datagram.
    public var overheadBytes: Int { PacketCodec.headerBytes + (keyring == nil ? 0 : Keyring.tagBytes) }

    /// Room left for messages in one datagram.
    public var payloadBytesMax: Int { WireLimits.datagramBytesMax - overheadBytes }

    /// Frames and tags already-encoded messages. The caller keeps the payload within `payloadBytesMax`.
    public func seal(payload: Bytes) -> Bytes {
        precondition(payload.count <= payloadBytesMax, "payload of \(payload.count) bytes")
        var w = ByteWriter(capacity: overheadBytes + payload.count)
        w.u8(MeshVersion.protocolCurrent)
        w.u8(keyring == nil ? 0 : PacketCodec.authenticatedFlag)
        w.u32(labelHash)
        if let keyring {
            w.raw(keyring.tag(w.bytes[0..<PacketCodec.headerBytes], payload))
        }
        w.raw(payload)
        return w.bytes
    }

    /// Checks framing, label and tag; returns the range of the messages, or why the datagram is dropped.
    public func open(_ datagram: Bytes) -> Result<Range<Int>, DropReason> {
        guard datagram.count <= WireLimits.datagramBytesMax else { return .failure(.oversized) }
        guard datagram.count >= PacketCodec.headerBytes else { return .failure(.truncated) }
        let version = datagram[0]
        guard version >= MeshVersion.protocolMinimum && version <= MeshVersion.protocolCurrent else {
            return .failure(.unsupportedVersion)
        }
        let flags = datagram[1]
        guard flags & ~PacketCodec.authenticatedFlag == 0 else { return .failure(.malformed) }
        let hash = UInt32(datagram[2]) << 24 | UInt32(datagram[3]) << 16 | UInt32(datagram[4]) << 8 | UInt32(datagram[5])
        guard hash == labelHash else { return .failure(.wrongLabel) }
        let tagged = flags & PacketCodec.authenticatedFlag != 0
        guard let keyring else {
            return tagged ? .failure(.unexpectedTag) : .success(PacketCodec.headerBytes..<datagram.count)
        }
        guard tagged else { return .failure(.unauthenticated) }
        let tagEnd = PacketCodec.headerBytes + Keyring.tagBytes
        guard datagram.count >= tagEnd else { return .failure(.truncated) }
        guard keyring.verify(tag: datagram[PacketCodec.headerBytes..<tagEnd],
                             datagram[0..<PacketCodec.headerBytes], datagram[tagEnd...]) else {
            return .failure(.badTag)
        }
        return .success(tagEnd..<datagram.count)
    }

    /// Decodes every message of an opened datagram, at most `messagesPerDatagramMax`.
    public static func messages(in datagram: Bytes, range: Range<Int>) -> Result<[Message], DropReason> {
        var reader = ByteReader(datagram, offset: range.lowerBound, end: range.upperBound)
        var messages: [Message] = []
        while !reader.isAtEnd {
            guard messages.count < WireLimits.messagesPerDatagramMax else { return .failure(.tooManyMessages) }
            do {
                messages.append(try MessageCodec.decode(from: &reader))
            } catch {
                return .failure(DropReason(error))
            }
        }
        guard !messages.isEmpty else { return .failure(.truncated) }
        return .success(messages)
    }
}
