/// Datagram framing and authentication, protocol version 2.
///
/// ```
/// offset  size  field
///      0     1  protocol minimum: the oldest version the sender speaks
///      1     1  protocol current: the version the sender writes
///      2     1  flags: 0x01 authenticated; any other bit set is malformed
///      3     4  cluster label hash (FNV-1a, 32 bits, big-endian)
///      7    16  tag, present only when flags & 0x01
///  7 or 23   …  messages, each [kind u8][body length varint][body], until the end
/// ```
/// A datagram is read when the sender's range `minimum...current` overlaps this codec's; otherwise
/// it is dropped as `unsupportedVersion`. A version-1 datagram (`[version 1][flags]…`) reads as the
/// range 1...0 or 1...1 and is refused that way. Every later version keeps these first 7 bytes.
///
/// The tag is HMAC-SHA-256 under the keyring's primary key, truncated to 16 bytes (RFC 4231 §4.7),
/// over the 7 header bytes and the messages. Only the label's 32-bit hash travels: it keeps two
/// meshes apart even without keys, and with keys a wrong label is told apart from a bad key.
/// More than one message makes a compound packet; a message of a kind this build does not know is
/// skipped (its length prefix says how far) and counted, and the others are still handled.
public struct PacketCodec: Sendable {
    /// Header bytes before the tag.
    public static let headerBytes = 7
    static let authenticatedFlag: UInt8 = 0x01

    /// The keys tags are made and checked under; the node replaces it when an operator changes keys.
    public internal(set) var keyring: Keyring?
    public let labelHash: UInt32
    /// The range written into every sealed datagram and required to overlap in every opened one.
    public let versions: ProtocolRange

    /// A codec for `label`; `versions` is this build's range except in tests that play another build.
    public init(keyring: Keyring?, label: String, versions: ProtocolRange = MeshVersion.protocolRange) {
        self.keyring = keyring
        self.labelHash = PacketCodec.hashLabel(label)
        self.versions = versions
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
        w.u8(versions.minimum)
        w.u8(versions.current)
        w.u8(keyring == nil ? 0 : PacketCodec.authenticatedFlag)
        w.u32(labelHash)
        if let keyring {
            w.raw(keyring.tag(w.bytes[0..<PacketCodec.headerBytes], payload))
        }
        w.raw(payload)
        return w.bytes
    }

    /// Checks framing, versions, label and tag; returns the range of the messages, or why the
    /// datagram is dropped.
    public func open(_ datagram: Bytes) -> Result<Range<Int>, DropReason> {
        guard datagram.count <= WireLimits.datagramBytesMax else { return .failure(.oversized) }
        guard datagram.count >= PacketCodec.headerBytes else { return .failure(.truncated) }
        let sender = ProtocolRange(minimum: datagram[0], current: datagram[1])
        guard sender.overlaps(versions) else { return .failure(.unsupportedVersion) }
        let flags = datagram[2]
        guard flags & ~PacketCodec.authenticatedFlag == 0 else { return .failure(.malformed) }
        let hash = UInt32(datagram[3]) << 24 | UInt32(datagram[4]) << 16 | UInt32(datagram[5]) << 8 | UInt32(datagram[6])
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

    /// Decodes the messages of an opened datagram, at most `messagesPerDatagramMax` (skipped ones
    /// included). Each message skipped (unknown kind, bad name, counter out of range) is counted
    /// in `skipped` and the others are returned; bytes that do not parse drop the whole datagram.
    public static func messages(in datagram: Bytes, range: Range<Int>,
                                skipped: inout DropCounters) -> Result<[Message], DropReason> {
        var reader = ByteReader(datagram, offset: range.lowerBound, end: range.upperBound)
        guard !reader.isAtEnd else { return .failure(.truncated) }
        var messages: [Message] = []
        var reasons: [DropReason] = []
        while !reader.isAtEnd {
            guard messages.count + reasons.count < WireLimits.messagesPerDatagramMax else {
                return .failure(.tooManyMessages)
            }
            do throws(DecodeError) {
                switch try MessageCodec.decodeEntry(from: &reader) {
                case .success(let message): messages.append(message)
                case .failure(let reason): reasons.append(reason)
                }
            } catch {
                return .failure(DropReason(error))
            }
        }
        for reason in reasons { skipped.count(reason) }
        return .success(messages)
    }
}
