import MeshCore

/// The framing of a link: one kept-open TCP connection that carries many of the core's streams
/// between two nodes (task traffic), so an exchange costs no connect, accept or socket setup.
///
/// The connecting side starts with `LinkFrame.preamble` (a legacy stream starts with a hello,
/// whose first byte is a protocol version, never `0xF7`); then both sides send frames:
///
/// ```
/// frame  [kind u8][stream u32][length u32][payload: length bytes]
/// ```
///
/// `open` (client → server, empty) starts stream `stream`; ids only grow on one link, so a
/// closed stream's id is never reused. `data` carries bytes of a stream, as the core wrote them;
/// `close` says its sender closed the stream (what a FIN is to a connection of its own); `reset`
/// says the stream failed (refused, say). Nothing here is authenticated, and needs not be: the
/// bytes of every stream are the core's own frames, each tagged under the cluster key and bound to
/// that stream's nonces, so a forged or misrouted `data` frame fails its stream's tag check — a
/// tampered link can only break its streams, as a tampered connection can.
enum LinkFrame {
    /// What a link's connecting side sends first.
    static let preamble: Bytes = [0xF7, 0x4D, 0x58, 0x01]
    static let headerBytes = 9
    /// The largest payload of one `data` frame; a longer write is sent as several.
    static let dataBytesMax = 64 * 1024

    enum Kind: UInt8 {
        case open = 1, data = 2, close = 3, reset = 4
    }

    /// One decoded frame.
    struct Frame: Equatable {
        var kind: Kind
        var stream: UInt32
        var payload: Bytes
    }

    /// `bytes` of `stream` as `data` frames of at most `dataBytesMax` each.
    static func data(_ stream: UInt32, _ bytes: Bytes) -> Bytes {
        var out = Bytes()
        out.reserveCapacity(bytes.count + headerBytes * (1 + bytes.count / dataBytesMax))
        var offset = 0
        repeat {
            let end = min(bytes.count, offset + dataBytesMax)
            append(.data, stream, bytes[offset..<end], to: &out)
            offset = end
        } while offset < bytes.count
        return out
    }

    /// A frame with no payload (`open`, `close`, `reset`).
    static func control(_ kind: Kind, _ stream: UInt32) -> Bytes {
        var out = Bytes()
        append(kind, stream, [], to: &out)
        return out
    }

    private static func append(_ kind: Kind, _ stream: UInt32, _ payload: ArraySlice<UInt8>, to out: inout Bytes) {
        var w = ByteWriter(capacity: headerBytes)
        w.u8(kind.rawValue); w.u32(stream); w.u32(UInt32(payload.count))
        out += w.bytes
        out += payload
    }
}

/// Why a link was closed: what its peer sent cannot be a link. Counted by reason.
enum LinkDrop: String, CaseIterable, Sendable, Error {
    /// A kind byte that is not one of `LinkFrame.Kind`.
    case unknownKind
    /// A `data` frame longer than `LinkFrame.dataBytesMax`, or a control frame with a payload.
    case oversized
    /// An `open` whose id is not above every id opened before on the link, or sent to a client.
    case badOpen
    /// `data` for a stream id never opened on the link.
    case unknownStream

    /// The `/v1/health` counter.
    var counterName: String { "linkDrops" + rawValue.prefix(1).uppercased() + rawValue.dropFirst() }
}

/// Reads a link's frames incrementally; bytes may arrive split anywhere. Holds at most one frame
/// header plus `LinkFrame.dataBytesMax` beyond the chunk being fed.
struct LinkDecoder {
    private var pending = Bytes()
    private var start = 0

    /// Takes `bytes` and returns the frames they completed, in order, or why the link must close.
    mutating func feed(_ bytes: Bytes) -> Result<[LinkFrame.Frame], LinkDrop> {
        if start > 0 && start >= pending.count / 2 {
            pending.removeFirst(start)
            start = 0
        }
        pending += bytes
        var frames: [LinkFrame.Frame] = []
        while pending.count - start >= LinkFrame.headerBytes {
            let header = pending[start..<start + LinkFrame.headerBytes]
            guard let kind = LinkFrame.Kind(rawValue: header[start]) else { return .failure(.unknownKind) }
            let stream = Self.u32(header.dropFirst(1))
            let length = Int(Self.u32(header.dropFirst(5)))
            let limit = kind == .data ? LinkFrame.dataBytesMax : 0
            guard length <= limit else { return .failure(.oversized) }
            guard pending.count - start >= LinkFrame.headerBytes + length else { break }
            let body = start + LinkFrame.headerBytes
            frames.append(LinkFrame.Frame(kind: kind, stream: stream, payload: Array(pending[body..<body + length])))
            start = body + length
        }
        return .success(frames)
    }

    private static func u32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var value: UInt32 = 0
        for byte in bytes.prefix(4) { value = value << 8 | UInt32(byte) }
        return value
    }
}
