/// Reads one direction of a stream incrementally: the peer's hello, then frames, reassembled into
/// messages. Bytes may arrive split anywhere. Anything that cannot be a valid stream is a
/// `DropReason`, after which the stream must be closed.
///
/// Buffering is bounded before authentication: until a frame's header tag verifies, at most one
/// hello and one frame header (plus the bytes of the chunk being handled) are held.
struct StreamDecoder: Sendable {
    /// What a stream's reader found.
    enum Event: Equatable {
        /// The peer's hello checked out; frames from it can now be read and written.
        case hello(peerNonce: Bytes)
        /// One whole message and the authenticated name of its sender.
        case message(Bytes, sender: String)
        /// A client's resumed hello (`acceptsResume` only): reading stops until `resume(with:)`
        /// gives the context of the session it names.
        case resumeHello(session: Bytes, counter: UInt64)
        /// The server does not take this resumed stream (`acceptsRefusal` only).
        case resumeRefused
    }

    private enum Phase {
        case hello
        /// After a resumed hello, until the session's context is known.
        case paused
        case header
        case body(flags: UInt8, length: Int)
    }

    /// A server's side: a resumed hello is allowed.
    var acceptsResume = false
    /// A resumed client's side: a refusal may come instead of the first frame.
    var acceptsRefusal = false
    /// The protocol version the peer's hello said it writes (0 before it).
    private(set) var peerVersionCurrent: UInt8 = 0

    let keyring: Keyring?
    let labelHash: UInt32
    private var phase = Phase.hello
    private var pending = Bytes()
    private var start = 0
    private(set) var context: StreamContext?
    private var index: UInt64 = 0
    private var coveredHeader = Bytes()
    private var message = Bytes()
    private var messageSender: String?
    /// A function from the peer's nonce to the context of the frames it sends.
    private let makeContext: @Sendable (Bytes) -> StreamContext

    init(keyring: Keyring?, labelHash: UInt32, makeContext: @escaping @Sendable (Bytes) -> StreamContext) {
        self.keyring = keyring
        self.labelHash = labelHash
        self.makeContext = makeContext
    }

    private var tagBytes: Int { keyring == nil ? 0 : Keyring.tagBytes }
    private var available: Int { pending.count - start }

    /// Takes `bytes` and returns what they completed, in order.
    mutating func feed(_ bytes: Bytes) -> Result<[Event], DropReason> {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// Takes the bytes in `bytes` (copied once, into the buffer that keeps what is not yet read)
    /// and returns what they completed, in order.
    mutating func feed(_ bytes: UnsafeRawBufferPointer) -> Result<[Event], DropReason> {
        if start > 0 && start >= pending.count / 2 {
            pending.removeFirst(start)
            start = 0
        }
        pending.append(contentsOf: bytes)
        var events: [Event] = []
        while true {
            switch step() {
            case .failure(let reason): return .failure(reason)
            case .success(nil): return .success(events)
            case .success(let event?): if let event { events.append(event) }
            }
        }
    }

    /// Goes on reading a resumed stream with the context of its session (call `feed` again).
    mutating func resume(with context: StreamContext) {
        guard case .paused = phase else { return }
        self.context = context
        phase = .header
    }

    /// True when the stream ended cleanly here: between messages, nothing half read.
    var isBetweenMessages: Bool {
        if case .header = phase { return available == 0 && message.isEmpty }
        return false
    }

    /// One step: `.success(nil)` needs more bytes; `.success(.some(nil))` progressed without an event.
    private mutating func step() -> Result<Event??, DropReason> {
        switch phase {
        case .hello:
            guard available >= StreamCodec.helloBytes else { return .success(nil) }
            let length = StreamHello.length(head: pending[start..<start + 3])
            guard available >= length else { return .success(nil) }
            let bytes = take(length)
            switch StreamHello.check(bytes, labelHash: labelHash, hasKeys: keyring != nil, acceptsResume: acceptsResume) {
            case .failure(let reason): return .failure(reason)
            case .success(let hello):
                peerVersionCurrent = hello.versionCurrent
                if let counter = hello.resumeCounter {
                    phase = .paused
                    return .success(.some(.resumeHello(session: hello.nonce, counter: counter)))
                }
                context = makeContext(hello.nonce)
                phase = .header
                return .success(.some(.hello(peerNonce: hello.nonce)))
            }
        case .paused:
            return .success(nil)
        case .header:
            if acceptsRefusal && available >= StreamCodec.headerBytes && pending[start] == StreamCodec.resumeRefusedFlag {
                guard Array(take(StreamCodec.headerBytes)) == StreamCodec.resumeRefusal else { return .failure(.malformed) }
                acceptsRefusal = false
                return .success(.some(.resumeRefused))
            }
            guard available >= StreamCodec.headerBytes + tagBytes else { return .success(nil) }
            acceptsRefusal = false
            let header = take(StreamCodec.headerBytes)
            let flags = header[header.startIndex]
            guard flags & ~StreamCodec.lastFrameFlag == 0 else { return .failure(.malformed) }
            var length = 0
            for byte in header.dropFirst() { length = length << 8 | Int(byte) }
            guard length <= StreamLimits.frameBytesMax else { return .failure(.oversized) }
            guard message.count + length <= StreamLimits.messageBytesMax + StreamLimits.frameBytesMax else {
                return .failure(.oversized)
            }
            coveredHeader = context!.covered(index: index, header: header)
            if let keyring {
                let tag = take(Keyring.tagBytes)
                guard keyring.verify(tag: tag, coveredHeader, [UInt8]()) else { return .failure(.badTag) }
            }
            phase = .body(flags: flags, length: length)
            return .success(.some(nil))
        case .body(let flags, let length):
            guard available >= length + tagBytes else { return .success(nil) }
            let body = take(length)
            if let keyring {
                let tag = take(Keyring.tagBytes)
                guard keyring.verify(tag: tag, coveredHeader, body) else { return .failure(.badTag) }
            }
            index &+= 1
            phase = .header
            return frameArrived(body, isLast: flags & StreamCodec.lastFrameFlag != 0)
        }
    }

    /// A frame's body: the sender's name (one length byte and UTF-8), then a piece of the message.
    /// A message in one frame is copied once, straight out of the read buffer.
    private mutating func frameArrived(_ body: ArraySlice<UInt8>, isLast: Bool) -> Result<Event??, DropReason> {
        guard let nameBytes = body.first.map(Int.init), nameBytes <= WireLimits.nameBytesMax, body.count > nameBytes,
              let sender = String(validating: body.dropFirst().prefix(nameBytes), as: UTF8.self), MemberName.isValid(sender) else {
            return .failure(.malformed)
        }
        if let messageSender, messageSender != sender { return .failure(.malformed) }
        let piece = body.dropFirst(1 + nameBytes)
        guard message.count + piece.count <= StreamLimits.messageBytesMax else { return .failure(.oversized) }
        if isLast && message.isEmpty {
            messageSender = nil
            return .success(.some(.message(Array(piece), sender: sender)))
        }
        messageSender = sender
        message += piece
        guard isLast else { return .success(.some(nil)) }
        defer { message = []; messageSender = nil }
        return .success(.some(.message(message, sender: sender)))
    }

    private mutating func take(_ count: Int) -> ArraySlice<UInt8> {
        defer { start += count }
        return pending[start..<start + count]
    }
}
