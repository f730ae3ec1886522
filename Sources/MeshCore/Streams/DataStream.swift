/// One data stream of the shell (attachment blobs, logs, artifacts: issue 10), framed and
/// authenticated exactly like the core's streams (`StreamCodec`: hello, frames tagged with the
/// cluster key, nonces, direction, frame index), so a data stream is as closed to strangers as any
/// other. The shell moves the bytes; the bulk never reaches the core's state machines.
///
/// A data stream starts with `DataStream.marker` before the hello, so the shell can tell it from
/// a core stream on the same port by its first byte (no hello starts with it: it is far above any
/// protocol version).
public struct DataStream: Sendable {
    /// Which side this is: the client connects and asks, the server answers.
    public enum Role: Sendable { case client, server }

    /// What arrived.
    public enum Event: Sendable, Equatable {
        /// The peer's hello checked out: messages can now be written.
        case ready
        /// One whole message and the authenticated member name of its sender.
        case message(Bytes, sender: String)
    }

    /// The first byte a data stream's client sends, before its hello.
    public static let marker: UInt8 = 0xDA
    /// The largest payload `message` puts in one frame: larger messages span frames.
    public static let framePayloadBytesMax = StreamLimits.frameBytesMax - 1 - WireLimits.nameBytesMax

    private let role: Role
    private let keyring: Keyring?
    private let sender: String
    private let ownNonce: Bytes
    private var decoder: StreamDecoder
    private var encoder: StreamEncoder?

    /// A stream for member `sender`; `nonce` must be `StreamCodec.nonceBytes` fresh random bytes.
    public init(role: Role, keyring: Keyring?, labelHash: UInt32, sender: String, nonce: Bytes) {
        precondition(nonce.count == StreamCodec.nonceBytes, "a stream nonce is \(StreamCodec.nonceBytes) bytes")
        self.role = role; self.keyring = keyring; self.sender = sender; ownNonce = nonce
        let direction = role == .client ? StreamContext.serverToClient : StreamContext.clientToServer
        decoder = StreamDecoder(keyring: keyring, labelHash: labelHash) { peerNonce in
            role == .client ? StreamContext(clientNonce: nonce, serverNonce: peerNonce, direction: direction)
                : StreamContext(clientNonce: peerNonce, serverNonce: nonce, direction: direction)
        }
    }

    /// This side's hello (the client sends `marker` first).
    public var hello: Bytes {
        StreamHello(versionMinimum: MeshVersion.protocolMinimum, versionCurrent: MeshVersion.protocolCurrent,
                    isAuthenticated: keyring != nil, labelHash: decoder.labelHash, nonce: ownNonce).encoded()
    }

    /// True once the peer's hello has arrived.
    public var isReady: Bool { encoder != nil }

    /// Takes bytes from the peer; a failure means the stream must be closed (counted by reason).
    public mutating func feed(_ bytes: Bytes) -> Result<[Event], DropReason> {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// Takes the bytes in `bytes` from the peer (without an intermediate copy).
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> Result<[Event], DropReason> {
        switch decoder.feed(bytes) {
        case .failure(let reason): return .failure(reason)
        case .success(let events):
            return .success(events.compactMap { event in
                switch event {
                case .hello(let peerNonce):
                    let context = role == .client
                        ? StreamContext(clientNonce: ownNonce, serverNonce: peerNonce, direction: StreamContext.clientToServer)
                        : StreamContext(clientNonce: peerNonce, serverNonce: ownNonce, direction: StreamContext.serverToClient)
                    encoder = StreamEncoder(context: context, keyring: keyring, sender: sender)
                    return .ready
                case .message(let payload, let sender): return .message(payload, sender: sender)
                case .resumeHello, .resumeRefused: return nil   // a data stream's decoder never takes either
                }
            })
        }
    }

    /// `payload` framed and tagged, or nil before the peer's hello.
    public mutating func message(_ payload: Bytes) -> Bytes? {
        guard encoder != nil else { return nil }
        return encoder!.message(payload)
    }

    /// Appends `prefix` followed by `payload`, as one message framed and tagged, to `out`
    /// (the bytes copied once; `out` may be a buffer reused from message to message). False,
    /// and nothing appended, before the peer's hello.
    public mutating func append(prefix: Bytes, _ payload: UnsafeRawBufferPointer, to out: inout Bytes) -> Bool {
        guard encoder != nil else { return false }
        encoder!.append(prefix: prefix, payload, to: &out)
        return true
    }
}
