/// Framing and authentication of streams (ARCHITECTURE §9): pure code, so the simulator carries the
/// very bytes the real shell sends and exercises the same checks.
///
/// Each side first sends a hello; the connecting side (client) then sends frames, and the
/// accepting side (server) answers with frames:
///
/// ```
/// hello  [version min u8][version current u8][flags u8][label hash u32][nonce 16]
/// frame  [frame flags u8][length u32][header tag 16?][body: length bytes][body tag 16?]
/// body   [sender name: u8 length + UTF-8][payload]
/// ```
///
/// Hello flags bit 0: the sender authenticates (has a keyring). Frame flags bit 0: the last frame of
/// a message (a message may span frames; each frame is at most `StreamLimits.frameBytesMax`).
/// With a keyring, each frame carries two 16-byte tags (HMAC-SHA-256 under the primary key, accepted
/// under any key of the ring). Both cover a context — the two nonces (client's first), the direction
/// (0 client to server, 1 server to client) and the frame's index in that direction — then the frame
/// header; the body tag covers the body too. The header tag is checked before a byte of the body is
/// buffered, so an unauthenticated peer makes a node buffer at most one header (pre-authentication
/// limit); the nonces make a recorded frame verify on no other stream; the direction keeps a reply
/// from passing as a request; the index keeps frames from being dropped, repeated or reordered.
///
/// Resumed streams (stream version 4, `MeshVersion.streamCurrent`; task requests only): once a full exchange between two members has
/// completed, the client may open later streams to that server without waiting for its hello. The
/// first stream's nonces name a session (its client nonce is the session id); a resumed stream's
/// hello carries the resume flag (bit 1), the session id in place of a nonce and a counter (u64)
/// after it, and the request follows at once. Its frames are tagged under a context of the session's
/// two nonces, the counter and the direction (`StreamContext.resumed`), so they verify on no other
/// stream. The server takes each counter once (`ReplayWindow`, marked only when a whole request has
/// verified): a replayed resumed stream is refused. A server that does not hold the session (it
/// restarted, or evicted it) answers its hello and then `resumeRefusal` (frame flag bit 1, no body,
/// no tags) and closes: the client forgets the session and sends the same request again on a full
/// stream. The refusal is unauthenticated, so a forged one costs a full exchange, nothing else.
public enum StreamCodec {
    public static let nonceBytes = 16
    public static let helloBytes = 7 + nonceBytes
    /// A resumed stream's hello: a hello whose nonce is the session id, then the counter.
    public static let resumeHelloBytes = helloBytes + 8
    static let authenticatedFlag: UInt8 = 0x01
    /// Hello flag bit 1: a resumed stream.
    static let resumeFlag: UInt8 = 0x02
    static let lastFrameFlag: UInt8 = 0x01
    /// Frame flag bit 1: the server does not take the resumed stream (only as the first frame).
    static let resumeRefusedFlag: UInt8 = 0x02
    /// The whole refusal: a frame header with the refusal flag and no body.
    static let resumeRefusal: Bytes = [resumeRefusedFlag, 0, 0, 0, 0]
    static let headerBytes = 5
}

/// Limits of streams, named once.
public enum StreamLimits {
    /// The body of one frame (sender name and payload).
    public static let frameBytesMax = 1 << 20
    /// One message, all of its frames together (a 10,000-member push-pull fits with room to spare).
    public static let messageBytesMax = 16 << 20
    /// Inbound streams open at once; past it a new one is closed at once and counted.
    public static let inboundStreamsMax = 32
}

/// One side's hello.
struct StreamHello: Equatable {
    var versionMinimum: UInt8
    var versionCurrent: UInt8
    var isAuthenticated: Bool
    var labelHash: UInt32
    var nonce: Bytes
    /// A resumed stream's counter (its `nonce` is then the session id); nil for a full hello.
    var resumeCounter: UInt64? = nil

    func encoded() -> Bytes {
        var w = ByteWriter(capacity: StreamCodec.resumeHelloBytes)
        w.u8(versionMinimum); w.u8(versionCurrent)
        w.u8((isAuthenticated ? StreamCodec.authenticatedFlag : 0) | (resumeCounter != nil ? StreamCodec.resumeFlag : 0))
        w.u32(labelHash); w.raw(nonce)
        if let resumeCounter { w.u64(resumeCounter) }
        return w.bytes
    }

    /// How long the hello whose first bytes are `head` (at least 3) is.
    static func length(head: ArraySlice<UInt8>) -> Int {
        head[head.startIndex + 2] & StreamCodec.resumeFlag != 0 ? StreamCodec.resumeHelloBytes : StreamCodec.helloBytes
    }

    /// Parses and checks a peer's hello against this node's label, keys and protocol versions; a
    /// resumed hello only where `acceptsResume` (a server's side of a stream).
    static func check(_ bytes: ArraySlice<UInt8>, labelHash: UInt32, hasKeys: Bool,
                      acceptsResume: Bool = false) -> Result<StreamHello, DropReason> {
        let b = Array(bytes)
        guard b.count >= 3 else { return .failure(.truncated) }
        let isResumed = b[2] & StreamCodec.resumeFlag != 0
        guard b.count == (isResumed ? StreamCodec.resumeHelloBytes : StreamCodec.helloBytes) else { return .failure(.truncated) }
        var hello = StreamHello(versionMinimum: b[0], versionCurrent: b[1], isAuthenticated: b[2] & StreamCodec.authenticatedFlag != 0,
                                labelHash: UInt32(b[3]) << 24 | UInt32(b[4]) << 16 | UInt32(b[5]) << 8 | UInt32(b[6]),
                                nonce: Array(b[7..<StreamCodec.helloBytes]))
        if isResumed {
            hello.resumeCounter = b[StreamCodec.helloBytes...].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        }
        let known = StreamCodec.authenticatedFlag | (acceptsResume ? StreamCodec.resumeFlag : 0)
        guard b[2] & ~known == 0, hello.versionMinimum <= hello.versionCurrent else {
            return .failure(.malformed)
        }
        if isResumed && hello.versionCurrent < MeshVersion.resumeProtocol { return .failure(.malformed) }
        guard hello.versionMinimum <= MeshVersion.streamCurrent && MeshVersion.protocolMinimum <= hello.versionCurrent else {
            return .failure(.unsupportedVersion)
        }
        guard hello.labelHash == labelHash else { return .failure(.wrongLabel) }
        if hasKeys && !hello.isAuthenticated { return .failure(.unauthenticated) }
        if !hasKeys && hello.isAuthenticated { return .failure(.unexpectedTag) }
        return .success(hello)
    }
}

/// The part of a stream every tag covers: both nonces and the direction.
struct StreamContext: Sendable {
    static let clientToServer: UInt8 = 0
    static let serverToClient: UInt8 = 1
    let prefix: Bytes

    init(clientNonce: Bytes, serverNonce: Bytes, direction: UInt8) {
        prefix = Array("mesh-stream".utf8) + clientNonce + serverNonce + [direction]
    }

    /// A resumed stream's context: the session's nonces (its first stream's), the counter and
    /// the direction, under a label of its own so it never equals a full stream's.
    static func resumed(session: Bytes, serverNonce: Bytes, counter: UInt64, direction: UInt8) -> StreamContext {
        var w = ByteWriter(capacity: 64)
        w.raw(Array("mesh-resume".utf8)); w.raw(session); w.raw(serverNonce); w.u64(counter); w.u8(direction)
        return StreamContext(prefix: w.bytes)
    }

    private init(prefix: Bytes) { self.prefix = prefix }

    /// The bytes the header tag covers, before the body: context, index, header.
    func covered(index: UInt64, header: ArraySlice<UInt8>) -> Bytes {
        var w = ByteWriter(capacity: prefix.count + 8 + StreamCodec.headerBytes)
        w.raw(prefix); w.u64(index); w.raw(header)
        return w.bytes
    }
}

/// Writes one direction of a stream: frames numbered from 0, tagged under the primary key.
struct StreamEncoder: Sendable {
    let context: StreamContext
    let keyring: Keyring?
    let sender: String
    var index: UInt64 = 0

    /// `payload` as one message: as many frames as it takes, the last one flagged.
    mutating func message(_ payload: Bytes) -> Bytes {
        var out = Bytes()
        payload.withUnsafeBytes { append(prefix: [], $0, to: &out) }
        return out
    }

    /// Appends `prefix` followed by `payload`, as one message, to `out`: as many frames as it
    /// takes, the last one flagged. The two are never joined first, and each frame is written in
    /// place and tagged there, so the payload is copied once (into `out`, whose capacity a caller
    /// that sends message after message keeps: no allocation per message).
    mutating func append(prefix: Bytes, _ payload: UnsafeRawBufferPointer, to out: inout Bytes) {
        let name = Array(sender.utf8)
        precondition(name.count <= 255, "a sender name of \(name.count) bytes")
        let room = StreamLimits.frameBytesMax - 1 - name.count
        let total = prefix.count + payload.count
        let tags = keyring == nil ? 0 : 2 * Keyring.tagBytes
        out.reserveCapacity(out.count + total + (total / room + 1) * (StreamCodec.headerBytes + tags + 1 + name.count))
        var offset = 0
        repeat {
            let end = min(total, offset + room)
            let header = frameHeader(isLast: end == total, bodyBytes: 1 + name.count + end - offset)
            let covered = keyring == nil ? [] : context.covered(index: index, header: header[...])
            out += header
            if let keyring { out += keyring.tag(covered, [UInt8]()) }
            let bodyStart = out.count
            out.append(UInt8(name.count))
            out += name
            if offset < prefix.count { out += prefix[offset..<min(end, prefix.count)] }
            if end > prefix.count {
                let from = max(offset, prefix.count) - prefix.count
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: payload[from..<(end - prefix.count)]))
            }
            if let keyring {
                let tag = out.withUnsafeBytes { all in
                    covered.withUnsafeBytes { keyring.tag($0, UnsafeRawBufferPointer(rebasing: all[bodyStart...])) }
                }
                out += tag
            }
            index &+= 1
            offset = end
        } while offset < total
    }

    /// A frame's header: its flags and the body's length.
    private func frameHeader(isLast: Bool, bodyBytes: Int) -> Bytes {
        var w = ByteWriter(capacity: StreamCodec.headerBytes)
        w.u8(isLast ? StreamCodec.lastFrameFlag : 0)
        w.u32(UInt32(bodyBytes))
        return w.bytes
    }
}
