import Testing
@testable import MeshCore

/// An evolvable wire (issue 7): a "next version" build (protocol 2…3) that adds a message kind to
/// every packet still talks to this one; builds whose ranges do not overlap refuse each other, counted.
@Suite struct WireEvolutionTests {
    static let next = ProtocolRange(minimum: 2, current: 4)
    static let t0 = MembershipTests.t0
    static func address(_ i: Int) -> Address { MembershipTests.address(UInt8(i)) }
    static let keyring = WireTests.keyring(1)

    /// A message of a kind this build does not know, as a next version might add (capacity records).
    static func futureMessage(kind: UInt8 = 200, bodyBytes: Int) -> Bytes {
        var w = ByteWriter()
        w.u8(kind); w.varint(UInt64(bodyBytes)); w.raw((0..<bodyBytes).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        return w.bytes
    }

    /// What a next-version node sends: its messages with a new kind before and after them.
    static func nextVersionDatagram(_ messages: [Message], keyring: Keyring? = keyring) -> Bytes {
        var w = ByteWriter()
        w.raw(futureMessage(bodyBytes: 5))
        for m in messages { MessageCodec.encode(m, into: &w) }
        w.raw(futureMessage(kind: 255, bodyBytes: 200))
        return PacketCodec(keyring: keyring, label: "", versions: next).seal(payload: w.bytes)
    }

    static func decode(_ datagram: Bytes, codec: PacketCodec = PacketCodec(keyring: keyring, label: ""))
        -> (Result<[Message], DropReason>, DropCounters) {
        var skipped = DropCounters()
        switch codec.open(datagram) {
        case .failure(let reason): return (.failure(reason), skipped)
        case .success(let range): return (PacketCodec.messages(in: datagram, range: range, skipped: &skipped), skipped)
        }
    }

    // MARK: Codec

    @Test func theHeaderCarriesTheSendersProtocolRange() {
        let payload = MessageCodec.encode(.ack(sequence: 1))
        #expect(PacketCodec.headerBytes == 7)
        #expect(Array(PacketCodec(keyring: nil, label: "", versions: Self.next).seal(payload: payload).prefix(3)) == [2, 4, 0])
        #expect(Array(PacketCodec(keyring: Self.keyring, label: "").seal(payload: payload).prefix(3))
                == [MeshVersion.protocolMinimum, MeshVersion.protocolCurrent, 1])
        #expect(MeshVersion.protocolRange == ProtocolRange(minimum: 2, current: 3))
    }

    @Test(arguments: [(2, 2, true), (2, 3, true), (1, 2, true), (0, 255, true), (3, 3, true), (3, 9, true), (4, 4, false), (4, 9, false),
                      (1, 1, false), (1, 0, false), (3, 2, false), (2, 1, false)])
    func aDatagramIsReadOnlyWhenTheSendersRangeOverlapsOurs(_ minimum: UInt8, _ current: UInt8, _ isRead: Bool) {
        let sender = PacketCodec(keyring: Self.keyring, label: "", versions: ProtocolRange(minimum: minimum, current: current))
        let (result, _) = Self.decode(sender.seal(payload: MessageCodec.encode(.ack(sequence: 4))))
        #expect(result == (isRead ? .success([.ack(sequence: 4)]) : .failure(.unsupportedVersion)))
    }

    @Test func aVersionOneDatagramIsRefusedAsUnsupported() {
        let hash = PacketCodec.hashLabel("")
        let hashBytes: Bytes = [UInt8(hash >> 24), UInt8(hash >> 16 & 0xFF), UInt8(hash >> 8 & 0xFF), UInt8(hash & 0xFF)]
        let ack = MessageCodec.encode(.ack(sequence: 1))
        for v1 in [[1, 0] + hashBytes + ack, [1, 1] + hashBytes + Array(repeating: 0, count: 16) + ack] {
            #expect(PacketCodec(keyring: nil, label: "").open(v1) == .failure(.unsupportedVersion))
            #expect(PacketCodec(keyring: Self.keyring, label: "").open(v1) == .failure(.unsupportedVersion))
        }
    }

    @Test func unknownKindsAreSkippedAndCountedAndTheKnownMessagesStillDecode() throws {
        let known: [Message] = [.ping(Ping(sequence: 1, target: "a", source: "b")), .suspect(Accusation(incarnation: 3, name: "a", from: "c"))]
        let (result, skipped) = Self.decode(Self.nextVersionDatagram(known))
        #expect(try result.get() == known)
        #expect(skipped[.unknownMessageType] == 2 && skipped.total == 2)
        let (onlyUnknown, skippedAlone) = Self.decode(Self.nextVersionDatagram([]))
        #expect(try onlyUnknown.get() == [])
        #expect(skippedAlone[.unknownMessageType] == 2)
    }

    @Test func anUnknownKindThatClaimsMoreBytesThanTheDatagramHoldsDropsIt() {
        var w = ByteWriter()
        MessageCodec.encode(.ack(sequence: 1), into: &w)
        w.u8(201); w.varint(50); w.raw([1, 2, 3])
        let (result, skipped) = Self.decode(PacketCodec(keyring: Self.keyring, label: "", versions: Self.next).seal(payload: w.bytes))
        #expect(result == .failure(.truncated) && skipped.total == 0)
    }

    @Test func skippedMessagesCountTowardsTheMessageLimit() {
        var w = ByteWriter()
        for _ in 0..<WireLimits.messagesPerDatagramMax { w.raw(Self.futureMessage(bodyBytes: 0)) }
        let atLimit = Self.decode(PacketCodec(keyring: Self.keyring, label: "").seal(payload: w.bytes))
        #expect(atLimit.0 == .success([]) && atLimit.1[.unknownMessageType] == UInt64(WireLimits.messagesPerDatagramMax))
        MessageCodec.encode(.ack(sequence: 1), into: &w)
        #expect(Self.decode(PacketCodec(keyring: Self.keyring, label: "").seal(payload: w.bytes)).0 == .failure(.tooManyMessages))
    }

    @Test func theVersionRangeOfAPushPullRoundTrips() throws {
        let state = PushPull(versions: ProtocolRange(minimum: 7, current: 11), join: true, members: [])
        var r = ByteReader(MessageCodec.encode(.pushPull(state)))
        #expect(try MessageCodec.decode(from: &r) == .pushPull(state))
        #expect(PushPull(join: false, members: []).versions == MeshVersion.protocolRange)
    }
}
