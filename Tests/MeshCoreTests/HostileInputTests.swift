import Testing
@testable import MeshCore

/// Holes an attacker found (issue 7), each reproduced at handler level: counters at the top of
/// their range, names that break the name rule, and a member table without a bound.
@Suite struct HostileInputTests {
    static let t0 = MembershipTests.t0
    static let top: UInt64 = .max
    static let half: UInt64 = 1 << 63
    static func address(_ i: Int) -> Address { MembershipTests.address(UInt8(i)) }
    static func datagram(_ messages: [Message]) -> Bytes { MembershipTests.datagram(messages) }
    static func alive(_ name: String, _ i: Int, incarnation: UInt64 = 1) -> Message {
        .alive(Alive(incarnation: incarnation, name: name, address: address(i), meta: []))
    }

    static func started(lastIncarnation: UInt64 = 0, settings: MembershipSettings = .lan) -> NodeInstance {
        var n = MembershipTests.node("a", 1, settings: settings, lastIncarnation: lastIncarnation)
        _ = n.start(at: t0)
        return n
    }

    static func receive(_ n: inout NodeInstance, _ messages: [Message], from i: Int = 9) -> [Directive] {
        n.receiveDatagram(datagram(messages), from: address(i), at: t0)
    }

    // MARK: Counters

    @Test(arguments: [top, half])
    func accusationsOfThisNodeInTheTopHalfOfTheRangeAreDroppedAndCounted(_ incarnation: UInt64) {
        var n = Self.started()
        let accusations: [Message] = [.suspect(Accusation(incarnation: incarnation, name: "a", from: "b")),
                                      .dead(Accusation(incarnation: incarnation, name: "a", from: "b")),
                                      .leave(Leave(incarnation: incarnation, name: "a")), Self.alive("a", 1, incarnation: incarnation)]
        for accusation in accusations { _ = Self.receive(&n, [accusation]) }
        #expect(n.drops[.counterOutOfRange] == 4)
        #expect(n.incarnation == 1)
    }

    @Test(arguments: [top, half])
    func aSuspicionOfAnotherMemberInTheTopHalfIsDroppedAndTheMemberStaysAlive(_ incarnation: UInt64) {
        var n = Self.started()
        _ = Self.receive(&n, [Self.alive("b", 2, incarnation: 5)])
        let replies = MembershipTests.sentMessages(Self.receive(&n, [
            .suspect(Accusation(incarnation: incarnation, name: "b", from: "c")),
            .ping(Ping(sequence: 3, target: "a", source: "c")), Self.alive("b", 2, incarnation: incarnation)]))
        #expect(n.drops[.counterOutOfRange] == 2)
        #expect(n.members["b"].map { ($0.incarnation, $0.status) }! == (5, .alive))
        #expect(replies.first?.1.first == .ack(sequence: 3), "the rest of the datagram is still handled")
    }

    @Test func aPushPullCarryingAnIncarnationInTheTopHalfIsDroppedAndCounted() {
        var n = Self.started()
        for member in ["a", "b"] {
            let state = [MemberState(name: "c", address: Self.address(3), incarnation: 2, status: .alive, meta: []),
                         MemberState(name: member, address: Self.address(2), incarnation: Self.top, status: .suspect, meta: [])]
            let frame = MessageCodec.encode(.pushPull(PushPull(join: true, members: state)))
            #expect(n.membership.handleStreamRequest(frame, from: Self.address(3)) == nil)
        }
        #expect(n.drops[.counterOutOfRange] == 2)
        #expect(n.members.count == 0 && n.incarnation == 1)
    }

    @Test func refutationStaysCorrectUpToTheLimitAndNeverTraps() {
        var n = Self.started()
        var directives = Self.receive(&n, [.suspect(Accusation(incarnation: WireLimits.counterMax - 1, name: "a", from: "b"))])
        #expect(n.incarnation == WireLimits.counterMax)
        #expect(directives.contains(.persistIncarnation(WireLimits.counterMax)))
        #expect(directives.contains(.event(.refuted(incarnation: WireLimits.counterMax))))
        // At the limit there is no newer life: nothing to persist or announce, and no trap.
        directives = Self.receive(&n, [.suspect(Accusation(incarnation: WireLimits.counterMax, name: "a", from: "b"))])
        #expect(n.incarnation == WireLimits.counterMax)
        #expect(!directives.contains { if case .persistIncarnation = $0 { true } else { false } })
        _ = n.updateMeta([1], at: Self.t0)
        #expect(n.incarnation == WireLimits.counterMax)
    }

    @Test(arguments: [(WireLimits.counterMax - 1, WireLimits.counterMax), (WireLimits.counterMax, WireLimits.counterMax),
                      (half, WireLimits.counterMax), (top, WireLimits.counterMax)])
    func aNodeWhosePersistedIncarnationIsNearTheLimitStartsWithoutTrapping(_ last: UInt64, _ expected: UInt64) {
        var n = MembershipTests.node("a", 1, lastIncarnation: last)
        let directives = n.start(at: Self.t0)
        #expect(n.incarnation == expected)
        #expect(directives.first == .persistIncarnation(expected))
        _ = Self.receive(&n, [.suspect(Accusation(incarnation: expected, name: "a", from: "b"))])
        _ = n.updateMeta([2], at: Self.t0)
        #expect(n.incarnation == expected)
    }

    /// A value above the wire range can only come from an older build; the mesh cannot know this
    /// node above `counterMax` (every node refuses such values), so coming back at `counterMax` is
    /// never below what the mesh knows, and it keeps the node's own state acceptable to others.
    @Test func aNodeRestoredFromAnIncarnationAboveTheWireRangeComesBackAtItsTopAndCanStillJoin() throws {
        var joiner = Membership(config: NodeConfig(name: "a", address: Self.address(1), seeds: [Self.address(2)],
                                                   randomSeed: 1, lastIncarnation: .max - 1))
        joiner.currentTime = Self.t0.now
        joiner.start()
        let effects = joiner.takeEffects()
        #expect(effects.first == .persistIncarnation(WireLimits.counterMax))
        let join = try #require(effects.lazy.compactMap { if case .exchange(_, _, let payload) = $0 { payload } else { nil } }.first)
        var seed = MembershipTests.node("s", 2)
        _ = seed.start(at: Self.t0)
        #expect(seed.membership.handleStreamRequest(join, from: Self.address(1)) != nil)
        #expect(seed.members["a"]?.incarnation == WireLimits.counterMax && seed.drops.total == 0)
    }

    // MARK: Names

    static let badNames: [Bytes] = [
        Array("\u{1B}[2J\u{1B}[Hroot".utf8), Array("a\nb".utf8), Array("a\r\n[INFO] forged".utf8), Array("é".utf8),
        Array("ｎｏｄｅ".utf8), [0xFF, 0x61], [0x61, 0x00], Array("a b".utf8), Array("a/b".utf8), [],
    ]

    /// `message` with every name set to `raw` bytes, encoded by hand (the encoder takes only Strings).
    static func encoded(_ kind: Message.Kind, name raw: Bytes) -> Bytes {
        var body = ByteWriter()
        switch kind {
        case .ping: body.u32(1); body.shortString("a"); body.u8(UInt8(raw.count)); body.raw(raw)
        case .alive: body.varint(1); body.u8(UInt8(raw.count)); body.raw(raw); body.address(address(2)); body.blob([])
        case .suspect: body.varint(1); body.shortString("b"); body.u8(UInt8(raw.count)); body.raw(raw)
        default: body.varint(1); body.u8(UInt8(raw.count)); body.raw(raw)
        }
        var w = ByteWriter()
        w.u8(kind.rawValue); w.varint(UInt64(body.bytes.count)); w.raw(body.bytes)
        return w.bytes
    }

    @Test(arguments: badNames)
    func aNameFromTheWireThatBreaksTheNameRuleIsDroppedAndCounted(_ raw: Bytes) {
        var n = Self.started()
        _ = Self.receive(&n, [Self.alive("b", 2)])
        let codec = PacketCodec(keyring: nil, label: "")
        for kind in [Message.Kind.ping, .alive, .suspect, .leave] {
            let payload = Self.encoded(kind, name: raw) + MessageCodec.encode(.ping(Ping(sequence: 8, target: "a", source: "b")))
            let replies = MembershipTests.sentMessages(n.receiveDatagram(codec.seal(payload: payload), from: Self.address(2), at: Self.t0))
            #expect(replies.count == 1, "the well-formed ping beside it is still answered")
        }
        #expect(n.drops[.badName] == 4)
        #expect(n.members.count == 1 && n.members["b"]?.status == .alive && n.incarnation == 1)
        var state = ByteWriter()
        state.u8(2); state.u8(2); state.u8(1); state.varint(1)
        state.u8(UInt8(raw.count)); state.raw(raw); state.address(Self.address(3)); state.varint(1); state.u8(0); state.blob([])
        let frame = [Message.Kind.pushPull.rawValue] + { var w = ByteWriter(); w.varint(UInt64(state.bytes.count)); return w.bytes }() + state.bytes
        #expect(n.membership.handleStreamRequest(frame, from: Self.address(3)) == nil)
        #expect(n.drops[.badName] == 5 && n.members.count == 1)
    }

    @Test(arguments: ["a", "node-1", "Node_2.lan", String(repeating: "x", count: 64), "", String(repeating: "x", count: 65),
                      "é", "a b", "a\u{1B}", "ｎ", "a:b"])
    func configuredNamesAndNamesFromTheWireFollowOneRule(_ name: String) {
        let configured = NodeConfig(name: name, address: Self.address(1), randomSeed: 0).validationError() == nil
        #expect(configured == MemberName.isValid(name))
        var r = ByteReader(Array(name.utf8.count <= 255 ? [UInt8(name.utf8.count)] + Array(name.utf8) : []))
        #expect(((try? MessageCodec.name(&r)) != nil) == configured)
    }

    @Test func aHostileNameIsQuotedWithoutControlCharacters() {
        let line = MemberName.validationError("a\u{1B}[2J\nb\\") ?? ""
        #expect(line.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F })
        #expect(line.contains("a\\x1b[2J\\x0ab\\x5c"))
    }

    // MARK: Member table

    @Test func newMembersPastMembersMaxAreDroppedAndCountedWhileKnownOnesKeepUpdating() {
        var settings = MembershipSettings.lan
        settings.membersMax = 3
        settings.deadRetention = .seconds(10)
        var d = TimerDriver(MembershipTests.node("a", 1, settings: settings), at: Self.t0)
        _ = d.start()
        _ = d.receive(Self.datagram(["b", "c", "d", "e"].enumerated().map { Self.alive($1, $0 + 2) }), from: Self.address(9))
        #expect(d.node.members.members.map(\.name) == ["b", "c", "d"])
        #expect(d.node.drops[.memberTableFull] == 1)
        _ = d.receive(Self.datagram([Self.alive("b", 2, incarnation: 2), .dead(Accusation(incarnation: 1, name: "d", from: "z")),
                                      Self.alive("f", 6)]), from: Self.address(9))
        #expect(d.node.members["b"]?.incarnation == 2 && d.node.members["d"]?.status == .dead)
        #expect(d.node.members.count == 3 && d.node.drops[.memberTableFull] == 2)
        // Once the dead member is forgotten, its slot takes a new member.
        d.run(until: d.now + .seconds(11))
        #expect(d.node.members["d"] == nil)
        _ = d.receive(Self.datagram([Self.alive("f", 6)]), from: Self.address(9))
        #expect(d.node.members["f"] != nil && d.node.members.count == 3)
        // A push-pull is bounded the same way.
        var fresh = MembershipTests.node("z", 20, settings: settings)
        _ = fresh.start(at: Self.t0)
        let state = (0..<5).map { MemberState(name: "p\($0)", address: Self.address(30 + $0), incarnation: 1, status: .alive, meta: []) }
        #expect(fresh.membership.handleStreamRequest(MessageCodec.encode(.pushPull(PushPull(join: true, members: state))), from: Self.address(30)) != nil)
        #expect(fresh.members.count == 3 && fresh.drops[.memberTableFull] == 2)
    }

    @Test func aFullMemberTablesPushPullStateFitsOneStreamFrame() {
        let worst = MemberState(name: String(repeating: "n", count: WireLimits.nameBytesMax), address: Self.address(1),
                                incarnation: WireLimits.counterMax, status: .left, meta: Array(repeating: 0, count: WireLimits.metaBytesMax))
        let one = MessageCodec.encode(.pushPull(PushPull(join: false, members: [worst]))).count
        let none = MessageCodec.encode(.pushPull(PushPull(join: false, members: []))).count
        let full = none + 8 + (one - none) * (MembershipSettings.lan.membersMax + 1)
        #expect(full <= WireLimits.streamFrameBytesMax)
        #expect(MembershipSettings.lan.membersMax >= 10_000)
    }
}
