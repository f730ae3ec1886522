import MeshCore

/// The outcome of reading one frame from the bytes received so far.
public enum FrameParse<Value: Equatable>: Equatable {
    /// Not all of it has arrived yet.
    case needMore
    /// The frame, and how many bytes it took.
    case complete(Value, consumed: Int)
    /// The bytes can never make a valid frame: close the connection and count the reason.
    case dropped(DropReason)
}

/// Framing and authentication of the TCP exchanges that carry push-pull and join (ARCHITECTURE §9).
///
/// The core authenticates datagrams itself but hands the shell plain stream payloads, so the shell
/// frames and tags them. One exchange is one request and one reply on a fresh connection:
///
/// ```
/// accepting → connecting  hello    [version u8][flags u8][label hash u32][server nonce 16]
/// connecting → accepting  request  [version u8][flags u8][label hash u32][client nonce 16][length u32][tag 16?][payload]
/// accepting → connecting  reply    [length u32][tag 16?][payload]
/// ```
///
/// With a keyring, flags bit 0 is set and each frame carries a 16-byte tag (HMAC-SHA-256 under the
/// primary key, accepted under any key of the ring) over: the 6 header bytes, the server nonce, the
/// client nonce, the direction (0 request, 1 reply) and the length, then the payload. The accepting
/// side draws its nonce fresh for every connection, so a recorded request verifies on no other
/// connection; the connecting side adds its own nonce, so a recorded reply cannot be played back to
/// it; the direction byte keeps a reply from passing as a request. Lengths are checked against
/// `frameBytesMax` before anything is buffered past the prefix.
public struct StreamFraming: Sendable {
    /// Random bytes each side contributes to one connection.
    public static let nonceBytes = 16
    /// Version, flags and label hash.
    public static let headerBytes = 6
    /// The accepting side's first bytes.
    public static let helloBytes = headerBytes + nonceBytes
    static let authenticatedFlag: UInt8 = 0x01

    /// Which way a frame travels; part of what the tag covers.
    public enum Direction: UInt8, Sendable {
        case request = 0
        case reply = 1
    }

    public let keyring: Keyring?
    public let labelHash: UInt32
    public let frameBytesMax: Int

    public init(keyring: Keyring?, label: String, frameBytesMax: Int = WireLimits.streamFrameBytesMax) {
        self.keyring = keyring
        self.labelHash = PacketCodec.hashLabel(label)
        self.frameBytesMax = frameBytesMax
    }

    /// Bytes a frame adds in front of its payload (length and tag).
    var framePrefixBytes: Int { 4 + (keyring == nil ? 0 : Keyring.tagBytes) }

    // MARK: Writing

    /// The accepting side's hello with its fresh nonce.
    public func hello(serverNonce: Bytes) -> Bytes {
        precondition(serverNonce.count == StreamFraming.nonceBytes, "nonce of \(serverNonce.count) bytes")
        return header() + serverNonce
    }

    /// The connecting side's request frame.
    public func request(_ payload: Bytes, serverNonce: Bytes, clientNonce: Bytes) -> Bytes {
        precondition(clientNonce.count == StreamFraming.nonceBytes, "nonce of \(clientNonce.count) bytes")
        return header() + clientNonce + frame(payload, .request, serverNonce: serverNonce, clientNonce: clientNonce)
    }

    /// The accepting side's reply frame.
    public func reply(_ payload: Bytes, serverNonce: Bytes, clientNonce: Bytes) -> Bytes {
        frame(payload, .reply, serverNonce: serverNonce, clientNonce: clientNonce)
    }

    private func header() -> Bytes {
        var writer = ByteWriter(capacity: StreamFraming.headerBytes)
        writer.u8(MeshVersion.protocolCurrent)
        writer.u8(keyring == nil ? 0 : StreamFraming.authenticatedFlag)
        writer.u32(labelHash)
        return writer.bytes
    }

    private func frame(_ payload: Bytes, _ direction: Direction, serverNonce: Bytes, clientNonce: Bytes) -> Bytes {
        precondition(payload.count <= frameBytesMax, "stream frame of \(payload.count) bytes")
        var writer = ByteWriter(capacity: framePrefixBytes + payload.count)
        writer.u32(UInt32(payload.count))
        if let keyring {
            let covered = tagInput(direction, serverNonce: serverNonce, clientNonce: clientNonce, length: UInt32(payload.count))
            writer.raw(keyring.tag(covered, payload))
        }
        writer.raw(payload)
        return writer.bytes
    }

    private func tagInput(_ direction: Direction, serverNonce: Bytes, clientNonce: Bytes, length: UInt32) -> Bytes {
        var writer = ByteWriter(capacity: 64)
        writer.raw(header())
        writer.raw(serverNonce)
        writer.raw(clientNonce)
        writer.u8(direction.rawValue)
        writer.u32(length)
        return writer.bytes
    }

    // MARK: Reading

    /// Reads the hello: the server nonce.
    public func parseHello(_ bytes: Bytes) -> FrameParse<Bytes> {
        guard bytes.count >= StreamFraming.helloBytes else { return .needMore }
        if let reason = checkHeader(bytes) { return .dropped(reason) }
        return .complete(Array(bytes[StreamFraming.headerBytes..<StreamFraming.helloBytes]), consumed: StreamFraming.helloBytes)
    }

    /// A verified request: its payload and the client's nonce.
    public struct Request: Equatable, Sendable {
        public var payload: Bytes
        public var clientNonce: Bytes
    }

    /// Reads and verifies a request received on a connection whose hello carried `serverNonce`.
    public func parseRequest(_ bytes: Bytes, serverNonce: Bytes) -> FrameParse<Request> {
        let prefix = StreamFraming.headerBytes + StreamFraming.nonceBytes
        guard bytes.count >= StreamFraming.headerBytes else { return .needMore }
        if let reason = checkHeader(bytes) { return .dropped(reason) }
        guard bytes.count >= prefix else { return .needMore }
        let clientNonce = Array(bytes[StreamFraming.headerBytes..<prefix])
        switch parseFrame(bytes, at: prefix, .request, serverNonce: serverNonce, clientNonce: clientNonce) {
        case .needMore: return .needMore
        case .dropped(let reason): return .dropped(reason)
        case .complete(let payload, let consumed):
            return .complete(Request(payload: payload, clientNonce: clientNonce), consumed: consumed)
        }
    }

    /// Reads and verifies the reply on a connection with these nonces.
    public func parseReply(_ bytes: Bytes, serverNonce: Bytes, clientNonce: Bytes) -> FrameParse<Bytes> {
        parseFrame(bytes, at: 0, .reply, serverNonce: serverNonce, clientNonce: clientNonce)
    }

    private func parseFrame(_ bytes: Bytes, at start: Int, _ direction: Direction,
                            serverNonce: Bytes, clientNonce: Bytes) -> FrameParse<Bytes> {
        guard bytes.count >= start + 4 else { return .needMore }
        let length = Int(UInt32(bytes[start]) << 24 | UInt32(bytes[start + 1]) << 16
                         | UInt32(bytes[start + 2]) << 8 | UInt32(bytes[start + 3]))
        guard length <= frameBytesMax else { return .dropped(.oversized) }
        let payloadStart = start + framePrefixBytes
        let end = payloadStart + length
        guard bytes.count >= end else { return .needMore }
        let payload = bytes[payloadStart..<end]
        if let keyring {
            let covered = tagInput(direction, serverNonce: serverNonce, clientNonce: clientNonce, length: UInt32(length))
            guard keyring.verify(tag: bytes[(start + 4)..<payloadStart], covered, payload) else { return .dropped(.badTag) }
        }
        return .complete(Array(payload), consumed: end)
    }

    /// Why a header (hello or request) is unacceptable, or nil.
    private func checkHeader(_ bytes: Bytes) -> DropReason? {
        let version = bytes[0]
        guard version >= MeshVersion.protocolMinimum && version <= MeshVersion.protocolCurrent else { return .unsupportedVersion }
        let flags = bytes[1]
        guard flags & ~StreamFraming.authenticatedFlag == 0 else { return .malformed }
        let hash = UInt32(bytes[2]) << 24 | UInt32(bytes[3]) << 16 | UInt32(bytes[4]) << 8 | UInt32(bytes[5])
        guard hash == labelHash else { return .wrongLabel }
        let tagged = flags & StreamFraming.authenticatedFlag != 0
        if keyring == nil && tagged { return .unexpectedTag }
        if keyring != nil && !tagged { return .unauthenticated }
        return nil
    }
}

extension FrameParse: Sendable where Value: Sendable {}
