import Testing
@testable import MeshCore

/// The core's stream layer: two instances wired byte for byte, and what an attacker can send.
@Suite struct StreamTests {
    static let t0 = Moment(now: Instant(nanoseconds: 1_000_000_000), wallMilliseconds: 0)
    static func address(_ i: UInt8) -> Address { Address(10, 0, 0, i, port: 7946) }
    static let key = Keyring(keys: [MeshKey(bytes: Bytes(repeating: 5, count: 32))!])
    static let otherKey = Keyring(keys: [MeshKey(bytes: Bytes(repeating: 6, count: 32))!])

    static func node(_ name: String, _ i: UInt8, seeds: [Address] = [], keyring: Keyring? = key) -> NodeInstance {
        NodeInstance(config: NodeConfig(name: name, address: address(i), seeds: seeds, keyring: keyring,
                                        label: "test", randomSeed: UInt64(i)))
    }

    static func writes(_ directives: [Directive], on stream: StreamID) -> Bytes {
        directives.reduce(into: Bytes()) { bytes, d in if case .writeStream(stream, let b) = d { bytes += b } }
    }

    static func closes(_ directives: [Directive], _ stream: StreamID) -> Bool {
        directives.contains(.closeStream(stream))
    }

    /// A joins through B; every stream byte is carried in chunks of `chunk` bytes. Returns A's
    /// events and both nodes after the exchange.
    static func join(chunk: Int, clientKey: Keyring? = key) -> (events: [MeshEvent], a: NodeInstance, b: NodeInstance) {
        var a = node("a", 1, seeds: [address(2)], keyring: clientKey)
        var b = node("b", 2)
        _ = b.start(at: t0)
        let started = a.start(at: t0)
        guard case .openStream(let out, let to)? = started.first(where: { if case .openStream = $0 { true } else { false } }) else {
            Issue.record("no stream opened"); return ([], a, b)
        }
        #expect(to == address(2))
        let inbound = StreamID.inbound(1)
        var toB = writes(started, on: out)
        var toA = writes(b.handle(.streamAccepted(inbound, from: address(1)), at: t0), on: inbound)
        var events: [MeshEvent] = []
        for _ in 0..<1_000 where !toA.isEmpty || !toB.isEmpty {
            if !toB.isEmpty {
                let piece = Array(toB.prefix(chunk)); toB.removeFirst(piece.count)
                let out = b.handle(.streamData(inbound, piece), at: t0)
                toA += writes(out, on: inbound)
            }
            if !toA.isEmpty {
                let piece = Array(toA.prefix(chunk)); toA.removeFirst(piece.count)
                let directives = a.handle(.streamData(out, piece), at: t0)
                toB += writes(directives, on: out)
                for d in directives { if case .event(let e) = d { events.append(e) } }
            }
        }
        return (events, a, b)
    }

    @Test(arguments: [1, 7, 64, 100_000])
    func aJoinOverAStreamSucceedsHoweverTheBytesAreSplit(chunk: Int) {
        let (events, a, b) = Self.join(chunk: chunk)
        #expect(events.contains(.joined(seed: Self.address(2))))
        #expect(a.members["b"]?.status == .alive)
        #expect(b.members["a"]?.status == .alive)
        #expect(a.streamsOpen == 0 && b.streamsOpen == 0)
        #expect(b.streamStats.completed == 1 && a.streamStats.completed == 1)
    }

    @Test func aWrongKeyIsRefusedAtTheFirstFrameHeaderAndCountedAsBadTag() {
        let (events, _, b) = Self.join(chunk: 1_000, clientKey: Self.otherKey)
        #expect(!events.contains(.joined(seed: Self.address(2))))
        #expect(b.streamDrops[.badTag] == 1)
        #expect(b.members["a"] == nil)
    }

    /// Opens an inbound stream on `b` and returns its hello (the server nonce is in it).
    static func accept(_ b: inout NodeInstance, _ stream: StreamID) -> Bytes {
        writes(b.handle(.streamAccepted(stream, from: address(9)), at: t0), on: stream)
    }

    /// A client's bytes for one request under `key`: hello, then the request's frames for the
    /// server nonce in `serverHello`.
    static func clientBytes(serverHello: Bytes, payload: Bytes, key: Keyring? = key, clientNonce: Bytes = Bytes(repeating: 3, count: 16)) -> Bytes {
        let hello = StreamHello(versionMinimum: MeshVersion.protocolMinimum, versionCurrent: MeshVersion.protocolCurrent,
                                isAuthenticated: key != nil, labelHash: PacketCodec.hashLabel("test"), nonce: clientNonce).encoded()
        let serverNonce = Array(serverHello.suffix(StreamCodec.nonceBytes))
        var encoder = StreamEncoder(context: StreamContext(clientNonce: clientNonce, serverNonce: serverNonce,
                                                           direction: StreamContext.clientToServer), keyring: key, sender: "z")
        return hello + encoder.message(payload)
    }

    static var pushPull: Bytes {
        MessageCodec.encode(.pushPull(PushPull(join: false, members: [
            MemberState(name: "z", address: address(9), incarnation: 1, status: .alive, meta: [])])))
    }

    @Test func aRequestRecordedOnOneStreamVerifiesOnNoOther() {
        var b = Self.node("b", 2)
        _ = b.start(at: Self.t0)
        let first = Self.accept(&b, .inbound(1))
        let recorded = Self.clientBytes(serverHello: first, payload: Self.pushPull)
        let answered = b.handle(.streamData(.inbound(1), recorded), at: Self.t0)
        #expect(!Self.writes(answered, on: .inbound(1)).isEmpty, "the original is answered")
        _ = Self.accept(&b, .inbound(2))
        let replayed = b.handle(.streamData(.inbound(2), recorded), at: Self.t0)
        #expect(Self.closes(replayed, .inbound(2)))
        #expect(Self.writes(replayed, on: .inbound(2)).isEmpty)
        #expect(b.streamDrops[.badTag] == 1)
    }

    @Test func aReplyReflectedBackAsARequestDoesNotVerify() {
        var b = Self.node("b", 2)
        _ = b.start(at: Self.t0)
        let hello = Self.accept(&b, .inbound(1))
        let reply = Self.writes(b.handle(.streamData(.inbound(1), Self.clientBytes(serverHello: hello, payload: Self.pushPull)), at: Self.t0), on: .inbound(1))
        #expect(!reply.isEmpty)
        // The same nonces, the other direction: a server-to-client frame sent to a server.
        var c = Self.node("c", 3)
        _ = c.start(at: Self.t0)
        _ = Self.accept(&c, .inbound(1))
        let helloAsClient = StreamHello(versionMinimum: 1, versionCurrent: MeshVersion.protocolCurrent, isAuthenticated: true,
                                        labelHash: PacketCodec.hashLabel("test"), nonce: Bytes(repeating: 3, count: 16)).encoded()
        let out = c.handle(.streamData(.inbound(1), helloAsClient + reply), at: Self.t0)
        #expect(Self.closes(out, .inbound(1)))
        #expect(c.streamDrops[.badTag] == 1)
    }

    @Test func anUnauthenticatedPeerMakesTheNodeBufferAtMostOneHeaderWhateverItSends() {
        var b = Self.node("b", 2)
        _ = b.start(at: Self.t0)
        let hello = Self.accept(&b, .inbound(1))
        // A valid-looking hello, then a frame header announcing 1 MiB with a forged tag, then junk.
        var bytes = Self.clientBytes(serverHello: hello, payload: [], key: Self.otherKey).prefix(StreamCodec.helloBytes)
        bytes += [1, 0, 0x10, 0, 0] + Bytes(repeating: 0xAB, count: 16)
        let out = b.handle(.streamData(.inbound(1), Array(bytes)), at: Self.t0)
        #expect(Self.closes(out, .inbound(1)))
        #expect(b.streamDrops[.badTag] == 1)
        // Junk in 64 KiB pieces after the hello: refused at the first header, never buffered.
        _ = Self.accept(&b, .inbound(2))
        let junkHello = Array(Self.clientBytes(serverHello: hello, payload: []).prefix(StreamCodec.helloBytes))
        var closed = false
        for i in 0..<160 where !closed {
            let piece = (i == 0 ? junkHello : []) + Bytes(repeating: UInt8(i), count: 64 * 1024)
            closed = Self.closes(b.handle(.streamData(.inbound(2), piece), at: Self.t0), .inbound(2))
        }
        #expect(closed)
        #expect(b.streamsOpen == 0)
    }

    @Test func framesOverTheLimitAndBadHellosAreDroppedByReason() {
        var b = Self.node("b", 2, keyring: nil)
        _ = b.start(at: Self.t0)
        let hello = Self.accept(&b, .inbound(1))
        let clientHello = Array(Self.clientBytes(serverHello: hello, payload: [], key: nil).prefix(StreamCodec.helloBytes))
        _ = b.handle(.streamData(.inbound(1), clientHello + [1, 0x7F, 0xFF, 0xFF, 0xFF]), at: Self.t0)
        #expect(b.streamDrops[.oversized] == 1)
        _ = Self.accept(&b, .inbound(2))
        var wrongLabel = clientHello
        wrongLabel[3] ^= 0xFF
        _ = b.handle(.streamData(.inbound(2), wrongLabel), at: Self.t0)
        #expect(b.streamDrops[.wrongLabel] == 1)
        _ = Self.accept(&b, .inbound(3))
        var future = clientHello
        future[0] = 200; future[1] = 201
        _ = b.handle(.streamData(.inbound(3), future), at: Self.t0)
        #expect(b.streamDrops[.unsupportedVersion] == 1)
        _ = Self.accept(&b, .inbound(4))
        var tagged = clientHello
        tagged[2] = 1
        _ = b.handle(.streamData(.inbound(4), tagged), at: Self.t0)
        #expect(b.streamDrops[.unexpectedTag] == 1)
        #expect(b.streamsOpen == 0)
    }

    @Test func aSilentStreamIsClosedAtItsDeadlineAndAStaleTimerChangesNothing() {
        var b = Self.node("b", 2)
        _ = b.start(at: Self.t0)
        let accepted = b.handle(.streamAccepted(.inbound(1), from: Self.address(9)), at: Self.t0)
        guard case .setTimer(let deadline, let at)? = accepted.first(where: { if case .setTimer = $0 { true } else { false } }) else {
            Issue.record("no deadline"); return
        }
        #expect(at == Self.t0.now + b.settings.streamTimeout)
        let fired = b.handle(.timer(deadline), at: Moment(now: at, wallMilliseconds: 0))
        #expect(Self.closes(fired, .inbound(1)))
        #expect(b.streamStats.timedOut == 1)
        #expect(b.handle(.timer(deadline), at: Moment(now: at, wallMilliseconds: 0)).isEmpty, "a timer fires once")
    }

    @Test func inboundStreamsPastTheLimitAreClosedAtOnce() {
        var b = Self.node("b", 2)
        _ = b.start(at: Self.t0)
        for i in 1...StreamLimits.inboundStreamsMax { _ = Self.accept(&b, .inbound(UInt64(i))) }
        let over = StreamID.inbound(UInt64(StreamLimits.inboundStreamsMax + 1))
        #expect(b.handle(.streamAccepted(over, from: Self.address(9)), at: Self.t0) == [.closeStream(over)])
        #expect(b.streamStats.refused == 1)
    }

    @Test func aLargeMessageSpansFramesAndArrivesWhole() {
        let context = StreamContext(clientNonce: Bytes(repeating: 1, count: 16), serverNonce: Bytes(repeating: 2, count: 16), direction: 0)
        var encoder = StreamEncoder(context: context, keyring: Self.key, sender: "a")
        let payload = (0..<(3 * StreamLimits.frameBytesMax + 17)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let bytes = encoder.message(payload)
        #expect(encoder.index == 4)
        var decoder = StreamDecoder(keyring: Self.key, labelHash: PacketCodec.hashLabel("test")) { _ in context }
        let hello = StreamHello(versionMinimum: 1, versionCurrent: MeshVersion.protocolCurrent, isAuthenticated: true,
                                labelHash: PacketCodec.hashLabel("test"), nonce: Bytes(repeating: 1, count: 16)).encoded()
        guard case .success(let events) = decoder.feed(hello + bytes) else { Issue.record("refused"); return }
        #expect(events.count == 2)
        #expect(events.last == .message(payload, sender: "a"))
    }

    @Test func aPushPullThatSpeaksForAnotherMemberThanItsAuthenticatedSenderIsRefused() {
        var b = Self.node("b", 2)
        _ = b.start(at: Self.t0)
        let hello = Self.accept(&b, .inbound(1))
        // Frames authenticated as "z", a state whose first entry claims to be "y".
        let claim = MessageCodec.encode(.pushPull(PushPull(join: false, members: [
            MemberState(name: "y", address: Self.address(9), incarnation: 1, status: .alive, meta: [])])))
        let out = b.handle(.streamData(.inbound(1), Self.clientBytes(serverHello: hello, payload: claim)), at: Self.t0)
        #expect(Self.closes(out, .inbound(1)))
        #expect(Self.writes(out, on: .inbound(1)).isEmpty)
        #expect(b.drops[.senderMismatch] == 1)
        #expect(b.members["y"] == nil)
    }
}
