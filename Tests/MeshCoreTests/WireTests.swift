import Testing
@testable import MeshCore

@Suite struct WireTests {
    static let a = Address(10, 0, 0, 1, port: 7946)
    static let everyMessage: [Message] = [
        .ping(Ping(sequence: 7, target: "b", source: "a")),
        .ack(sequence: .max),
        .nack(sequence: 0),
        .pingRequest(PingRequest(sequence: 9, target: "c", targetAddress: a)),
        .indirectAck(sequence: 12),
        .alive(Alive(incarnation: 300, name: "node-1", address: a, meta: [1, 2, 3])),
        .alive(Alive(incarnation: WireLimits.counterMax, name: String(repeating: "x", count: 64), address: a,
                     meta: Array(repeating: 9, count: WireLimits.metaBytesMax))),
        .suspect(Accusation(incarnation: 4, name: "b", from: "a")),
        .dead(Accusation(incarnation: 5, name: "b", from: "c")),
        .leave(Leave(incarnation: 6, name: "a")),
        .pushPull(PushPull(join: true, members: [
            MemberState(name: "a", address: a, incarnation: 1, status: .alive, meta: []),
            MemberState(name: "b", address: a, incarnation: 2, status: .suspect, meta: [4]),
            MemberState(name: "c", address: a, incarnation: 3, status: .dead, meta: []),
            MemberState(name: "d", address: a, incarnation: 4, status: .left, meta: [])])),
        .roundTripQuery(RoundTripQuery(target: "b")),
        .roundTripAnswer(RoundTripAnswer(target: "b", smoothedMicroseconds: 412, lastMicroseconds: nil)),
        .roundTripAnswer(RoundTripAnswer(target: "b", smoothedMicroseconds: .max, lastMicroseconds: 0)),
        .pushPull(PushPull(join: false, members: [])),
        .pushPull(PushPull(versions: ProtocolRange(minimum: 2, current: 9), join: false, members: [
            MemberState(name: "Node_9.x", address: a, incarnation: WireLimits.counterMax, status: .alive, meta: [])])),
    ]

    @Test(arguments: everyMessage)
    func everyMessageRoundTrips(_ message: Message) throws {
        let bytes = MessageCodec.encode(message)
        var reader = ByteReader(bytes)
        #expect(try MessageCodec.decode(from: &reader) == message)
        #expect(reader.isAtEnd)
    }

    @Test(arguments: everyMessage)
    func everyTruncationOfAMessageIsRejected(_ message: Message) {
        let bytes = MessageCodec.encode(message)
        for length in 0..<bytes.count {
            var reader = ByteReader(Array(bytes.prefix(length)))
            #expect(throws: DecodeError.self) { try MessageCodec.decode(from: &reader) }
        }
    }

    @Test func compoundPacketCarriesSeveralMessages() throws {
        let codec = PacketCodec(keyring: nil, label: "")
        var writer = ByteWriter()
        for m in Self.everyMessage.prefix(6) { MessageCodec.encode(m, into: &writer) }
        let datagram = codec.seal(payload: writer.bytes)
        let range = try codec.open(datagram).get()
        var skipped = DropCounters()
        #expect(try PacketCodec.messages(in: datagram, range: range, skipped: &skipped).get() == Array(Self.everyMessage.prefix(6)))
        #expect(skipped.total == 0)
    }

    @Test func oversizedNamesAndMetaAreRejected() {
        var w = ByteWriter()
        w.u8(Message.Kind.leave.rawValue)
        var body = ByteWriter(); body.varint(1); body.shortString(String(repeating: "n", count: 65))
        w.varint(UInt64(body.bytes.count)); w.raw(body.bytes)
        var r = ByteReader(w.bytes)
        #expect(throws: DecodeError.oversized) { try MessageCodec.decode(from: &r) }

        var m = ByteWriter()
        m.u8(Message.Kind.alive.rawValue)
        var alive = ByteWriter(); alive.varint(1); alive.shortString("a"); alive.address(Self.a)
        alive.blob(Array(repeating: 0, count: WireLimits.metaBytesMax + 1))
        m.varint(UInt64(alive.bytes.count)); m.raw(alive.bytes)
        var r2 = ByteReader(m.bytes)
        #expect(throws: DecodeError.oversized) { try MessageCodec.decode(from: &r2) }
    }

    @Test func pushPullCountLargerThanTheBytesIsRejectedBeforeAllocating() {
        var w = ByteWriter()
        w.u8(Message.Kind.pushPull.rawValue)
        var body = ByteWriter(); body.u8(2); body.u8(2); body.u8(0); body.varint(90_000)
        w.varint(UInt64(body.bytes.count)); w.raw(body.bytes)
        var r = ByteReader(w.bytes)
        #expect(throws: DecodeError.truncated) { try MessageCodec.decode(from: &r) }
    }

    @Test func unknownKindAndTrailingBytesAreRejected() {
        var r = ByteReader([0xEE, 0x01, 0x00])
        #expect(throws: DecodeError.unknownMessageType(0xEE)) { try MessageCodec.decode(from: &r) }
        var bytes = MessageCodec.encode(.ack(sequence: 1))
        bytes[1] += 1
        bytes.append(0)
        var r2 = ByteReader(bytes)
        #expect(throws: DecodeError.malformed) { try MessageCodec.decode(from: &r2) }
    }

    static func keyring(_ seed: UInt64) -> Keyring {
        var g = SeededGenerator(seed: seed)
        return Keyring(keys: [MeshKey.make(from: &g)])
    }

    @Test func sealedPacketsOpenOnlyWithTheRightKeyAndLabel() throws {
        let payload = MessageCodec.encode(.ack(sequence: 5))
        let sender = PacketCodec(keyring: Self.keyring(1), label: "prod")
        let datagram = sender.seal(payload: payload)
        #expect(datagram.count == payload.count + 23)
        #expect(try sender.open(datagram).get() == 23..<datagram.count)
        #expect(PacketCodec(keyring: Self.keyring(2), label: "prod").open(datagram) == .failure(.badTag))
        #expect(PacketCodec(keyring: Self.keyring(1), label: "staging").open(datagram) == .failure(.wrongLabel))
        #expect(PacketCodec(keyring: nil, label: "prod").open(datagram) == .failure(.unexpectedTag))
        let plain = PacketCodec(keyring: nil, label: "prod").seal(payload: payload)
        #expect(sender.open(plain) == .failure(.unauthenticated))
        for i in datagram.indices {
            var flipped = datagram
            flipped[i] ^= 0x10
            #expect((try? sender.open(flipped).get()) == nil, "bit flip at byte \(i) accepted")
        }
    }

    @Test func olderKeysOfTheKeyringStillVerify() throws {
        var g = SeededGenerator(seed: 7)
        let old = MeshKey.make(from: &g), new = MeshKey.make(from: &g)
        let payload = MessageCodec.encode(.nack(sequence: 1))
        let fromOldNode = PacketCodec(keyring: Keyring(keys: [old]), label: "").seal(payload: payload)
        let rotated = PacketCodec(keyring: Keyring(keys: [new, old]), label: "")
        #expect((try? rotated.open(fromOldNode).get()) != nil)
    }

    @Test func truncatedOversizedAndUnsupportedDatagramsAreRejected() {
        let codec = PacketCodec(keyring: Self.keyring(1), label: "")
        #expect(codec.open([]) == .failure(.truncated))
        #expect(codec.open([1, 1, 0]) == .failure(.truncated))
        #expect(codec.open(Array(repeating: 1, count: WireLimits.datagramBytesMax + 1)) == .failure(.oversized))
        var future = codec.seal(payload: MessageCodec.encode(.ack(sequence: 1)))
        future[0] = 99
        #expect(codec.open(future) == .failure(.unsupportedVersion))
        var badFlags = future
        badFlags[0] = MeshVersion.protocolMinimum; badFlags[2] = 0x80
        #expect(codec.open(badFlags) == .failure(.malformed))
    }
}

extension Message: CustomTestStringConvertible {
    public var testDescription: String { "\(kind)" }
}
