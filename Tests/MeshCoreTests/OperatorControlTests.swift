import Testing
@testable import MeshCore

/// Operator requests on a running node (issue 12): join, force-leave, key changes, and the smoothed
/// round trip `mesh rtt` reports.
@Suite struct OperatorControlTests {
    static let t0 = StreamTests.t0
    static func address(_ i: UInt8) -> Address { StreamTests.address(i) }
    static let k1 = MeshKey(bytes: Bytes(repeating: 5, count: 32))!   // StreamTests.key's key
    static let k2 = MeshKey(bytes: Bytes(repeating: 9, count: 32))!

    static func reply(_ directives: [Directive], _ id: UInt64) -> ControlReply? {
        directives.lazy.compactMap { d -> ControlReply? in
            if case .reply(let to, let reply) = d, to == RequestID(id) { reply } else { nil }
        }.first
    }

    /// Node `a` (alone) asked to join through `b`: every stream byte is carried until both are quiet.
    /// Returns a's reply to the join.
    static func operatorJoin(b: inout NodeInstance, a: inout NodeInstance) -> ControlReply? {
        let asked = a.handle(.control(RequestID(1), .join([address(2)])), at: t0)
        guard case .openStream(let out, _)? = asked.first(where: { if case .openStream = $0 { true } else { false } }) else {
            return reply(asked, 1)
        }
        let inbound = StreamID.inbound(1)
        var toB = StreamTests.writes(asked, on: out)
        var toA = StreamTests.writes(b.handle(.streamAccepted(inbound, from: address(1)), at: t0), on: inbound)
        var answer: ControlReply?
        for _ in 0..<100 where !toA.isEmpty || !toB.isEmpty {
            if !toB.isEmpty { toA += StreamTests.writes(b.handle(.streamData(inbound, toB), at: t0), on: inbound); toB = [] }
            if !toA.isEmpty {
                let directives = a.handle(.streamData(out, toA), at: t0)
                toA = []
                toB += StreamTests.writes(directives, on: out)
                answer = answer ?? reply(directives, 1)
            }
        }
        return answer
    }

    // MARK: Join

    @Test func aJoinOnARunningNodeAnswersOnceEverySeedsExchangeHasEnded() {
        var a = StreamTests.node("a", 1), b = StreamTests.node("b", 2)
        _ = a.start(at: Self.t0); _ = b.start(at: Self.t0)
        let answer = Self.operatorJoin(b: &b, a: &a)
        #expect(answer == .joinOutcome([JoinAttempt(seed: Self.address(2), failure: nil)]))
        #expect(a.members["b"]?.status == .alive && b.members["a"]?.status == .alive)
    }

    @Test func aJoinSaysWhyEachSeedFailed() {
        var a = StreamTests.node("a", 1)
        _ = a.start(at: Self.t0)
        let asked = a.handle(.control(RequestID(1), .join([Self.address(1), Self.address(3)])), at: Self.t0)
        #expect(Self.reply(asked, 1) == nil, "waits for the exchange with 10.0.0.3")
        let stream = asked.compactMap { d -> StreamID? in if case .openStream(let s, _) = d { s } else { nil } }
        #expect(stream.count == 1)
        let failed = a.handle(.streamFailed(stream[0]), at: Self.t0)
        #expect(Self.reply(failed, 1) == .joinOutcome([
            JoinAttempt(seed: Self.address(1), failure: "that is this node's own address"),
            JoinAttempt(seed: Self.address(3), failure: "connection refused or broken"),
        ]))
    }

    @Test func aJoinThroughANodeWithAnotherKeyFailsWithAReason() {
        var a = StreamTests.node("a", 1), b = StreamTests.node("b", 2, keyring: StreamTests.otherKey)
        _ = a.start(at: Self.t0); _ = b.start(at: Self.t0)
        guard case .joinOutcome(let attempts)? = Self.operatorJoin(b: &b, a: &a) else {
            // b closes the stream without answering: a hears it as closed.
            let closed = a.handle(.streamClosed(StreamID(1)), at: Self.t0)
            guard case .joinOutcome(let attempts)? = Self.reply(closed, 1) else { Issue.record("no answer"); return }
            #expect(attempts[0].failure != nil)
            return
        }
        #expect(attempts[0].failure != nil)
        #expect(a.members["b"] == nil)
    }

    @Test func tooManySeedsAndALeavingNodeAreRefused() {
        var a = StreamTests.node("a", 1)
        _ = a.start(at: Self.t0)
        let many = (0..<ControlLimits.joinSeedsMax + 1).map { Address(10, 1, 0, UInt8($0), port: 1) }
        guard case .refused? = Self.reply(a.handle(.control(RequestID(1), .join(many)), at: Self.t0), 1) else {
            Issue.record("more than joinSeedsMax seeds must be refused"); return
        }
        _ = a.handle(.leave, at: Self.t0)
        #expect(Self.reply(a.handle(.control(RequestID(2), .join([Self.address(2)])), at: Self.t0), 2)
                == .refused("this node is leaving"))
    }

    // MARK: Force-leave

    static func nodeKnowingB(status: MemberStatus) -> TimerDriver {
        var driver = TimerDriver(MembershipTests.node("a", 1), at: t0)
        _ = driver.start()
        var messages: [Message] = [.alive(Alive(incarnation: 3, name: "b", address: address(2), meta: []))]
        if status == .dead { messages.append(.dead(Accusation(incarnation: 3, name: "b", from: "c"))) }
        if status == .suspect { messages.append(.suspect(Accusation(incarnation: 3, name: "b", from: "c"))) }
        _ = driver.receive(MembershipTests.datagram(messages), from: address(3))
        return driver
    }

    @Test(arguments: [MemberStatus.alive, .suspect])
    func forceLeaveOfALiveMemberIsRefusedAndChangesNothing(_ status: MemberStatus) {
        var driver = Self.nodeKnowingB(status: status)
        let out = driver.take(driver.node.handle(.control(RequestID(1), .forceLeave("b")), at: driver.moment))
        guard case .refused(let reason)? = Self.reply(out, 1) else { Issue.record("not refused"); return }
        #expect(reason.contains("not dead"))
        #expect(driver.node.members["b"]?.status == status)
    }

    @Test func forceLeaveOfAnUnknownNameOrOfThisNodeIsRefused() {
        var driver = Self.nodeKnowingB(status: .dead)
        for name in ["nobody", "a"] {
            let out = driver.node.handle(.control(RequestID(1), .forceLeave(name)), at: driver.moment)
            guard case .refused? = Self.reply(out, 1) else { Issue.record("\(name) not refused"); continue }
        }
    }

    @Test func forceLeaveOfADeadMemberMarksItLeftGossipsTheLeaveAndForgetsItAfterTheRetention() {
        var driver = Self.nodeKnowingB(status: .dead)
        _ = driver.receive(MembershipTests.datagram([.alive(Alive(incarnation: 1, name: "c", address: Self.address(3), meta: []))]),
                           from: Self.address(3))
        let out = driver.take(driver.node.handle(.control(RequestID(1), .forceLeave("b")), at: driver.moment))
        #expect(Self.reply(out, 1) == .accepted)
        #expect(driver.node.members["b"]?.status == .left && driver.node.members["b"]?.incarnation == 3)
        var gossiped = false
        let retention = driver.node.settings.deadRetention
        driver.run(until: Self.t0.now + retention + .seconds(Int64(120))) { _, directives in
            for (_, messages) in MembershipTests.sentMessages(directives) where messages.contains(.leave(Leave(incarnation: 3, name: "b"))) {
                gossiped = true
            }
        }
        #expect(gossiped, "the left is gossiped on b's behalf")
        #expect(driver.events.contains(.memberForgotten(name: "b")))
        #expect(driver.node.members["b"] == nil)
    }

    @Test func aLeaveOnBehalfOfADeadMemberWinsAtTheSameIncarnation() {
        var driver = Self.nodeKnowingB(status: .dead)
        _ = driver.receive(MembershipTests.datagram([.leave(Leave(incarnation: 3, name: "b"))]), from: Self.address(3))
        #expect(driver.node.members["b"]?.status == .left)
    }

    // MARK: Keys

    @Test func keysAreInstalledUsedAndRemovedWithoutARestart() throws {
        var a = StreamTests.node("a", 1)
        _ = a.start(at: Self.t0)
        let k1Only = PacketCodec(keyring: Keyring(keys: [Self.k1]), label: "test")
        let k2Only = PacketCodec(keyring: Keyring(keys: [Self.k2]), label: "test")
        let ping = MembershipTests.datagram([.ping(Ping(sequence: 1, target: "a", source: "x"))], codec: k2Only)
        _ = a.handle(.datagram(ping, from: Self.address(9)), at: Self.t0)
        #expect(a.drops[.badTag] == 1, "k2 is not accepted yet")

        #expect(Self.reply(a.handle(.control(RequestID(1), .keys(.install(Self.k2))), at: Self.t0), 1) == .accepted)
        let acked = a.handle(.datagram(ping, from: Self.address(9)), at: Self.t0)
        #expect(a.drops[.badTag] == 1, "k2 is accepted now")
        #expect(acked.contains { if case .send(let bytes, _) = $0 { (try? k1Only.open(bytes).get()) != nil } else { false } },
                "answers are still made under k1")

        let incarnation = a.incarnation
        let used = a.handle(.control(RequestID(2), .keys(.use(Self.k2))), at: Self.t0)
        #expect(Self.reply(used, 2) == .accepted)
        #expect(a.keyring?.primary == Self.k2 && a.incarnation > incarnation)
        #expect(used.contains(.persistIncarnation(a.incarnation)), "the new fingerprint goes out with a new incarnation")
        #expect(MemberMeta.keyFingerprint(in: a.meta) == Self.k2.fingerprintText)

        #expect(Self.reply(a.handle(.control(RequestID(3), .keys(.remove(Self.k2))), at: Self.t0), 3)
                == .refused(KeyChangeError.primary(Self.k2.fingerprintText).description))
        #expect(Self.reply(a.handle(.control(RequestID(4), .keys(.remove(Self.k1))), at: Self.t0), 4) == .accepted)
        let old = MembershipTests.datagram([.ping(Ping(sequence: 2, target: "a", source: "x"))], codec: k1Only)
        _ = a.handle(.datagram(old, from: Self.address(9)), at: Self.t0)
        #expect(a.drops[.badTag] == 2, "the removed key is refused")
        #expect(a.keyring?.keys == [Self.k2])
    }

    static func refusal(_ result: Result<Keyring, KeyChangeError>) -> KeyChangeError? {
        if case .failure(let error) = result { error } else { nil }
    }

    @Test func keyChangesThatCannotApplyAreRefusedWithAReason() {
        let ring = Keyring(keys: [Self.k1])
        #expect(Self.refusal(ring.applying(.install(Self.k1))) == (.alreadyInstalled(Self.k1.fingerprintText)))
        #expect(Self.refusal(ring.applying(.use(Self.k2))) == (.notInstalled(Self.k2.fingerprintText)))
        #expect(Self.refusal(ring.applying(.remove(Self.k2))) == (.notInstalled(Self.k2.fingerprintText)))
        #expect(Self.refusal(ring.applying(.remove(Self.k1))) == (.primary(Self.k1.fingerprintText)))
        let full = Keyring(keys: (0..<KeyFile.keysMax).map { MeshKey(bytes: Bytes(repeating: UInt8($0 + 100), count: 32))! })
        #expect(Self.refusal(full.applying(.install(Self.k2))) == (.full))
        var unauthenticated = MembershipTests.node("a", 1)
        _ = unauthenticated.start(at: Self.t0)
        let out = unauthenticated.handle(.control(RequestID(1), .keys(.install(Self.k2))), at: Self.t0)
        #expect(Self.reply(out, 1) == .refused(KeyChangeError.unauthenticated.description))
    }

    @Test func aKeyFingerprintIsEightBytesOfSHA256AndTravelsInMemberMetaNeverTheKey() {
        #expect(Self.k1.fingerprint == Array(SHA256.hash(Self.k1.bytes).prefix(8)))
        #expect(Self.k1.fingerprintText.count == 16)
        let meta = MemberMeta.advertising(Keyring(keys: [Self.k1]))
        #expect(meta == [1, 8] + Self.k1.fingerprint)
        #expect(MemberMeta.keyFingerprint(in: meta) == Self.k1.fingerprintText)
        #expect(meta.count == 2 + MeshKey.fingerprintBytes, "a fingerprint, never the 32-byte key")
    }

    @Test func memberMetaKeepsOtherFieldsAndReadsForeignBytesAsNoFields() {
        let withOther = MemberMeta.setting(7, to: [1, 2, 3], in: [])
        let both = MemberMeta.setting(MemberMeta.keyFingerprintField, to: Self.k2.fingerprint, in: withOther)
        #expect(MemberMeta.value(of: 7, in: both) == [1, 2, 3])
        let replaced = MemberMeta.setting(MemberMeta.keyFingerprintField, to: Self.k1.fingerprint, in: both)
        #expect(MemberMeta.keyFingerprint(in: replaced) == Self.k1.fingerprintText && replaced.count == both.count)
        for foreign: Bytes in [[0, 0, 0, 9], [1], [1, 8, 1, 2], [1, 3, 1, 2, 3]] {
            #expect(MemberMeta.keyFingerprint(in: foreign) == nil)
        }
        #expect(MemberMeta.fields([0, 0, 0, 9]) == nil)
    }

    // MARK: Round trips

    /// Carries a's outbound stream `out` to b and back until both are quiet; a's reply to request 1.
    static func carry(_ asked: [Directive], a: inout NodeInstance, b: inout NodeInstance) -> ControlReply? {
        guard case .openStream(let out, _)? = asked.first(where: { if case .openStream = $0 { true } else { false } }) else {
            return reply(asked, 1)
        }
        let inbound = StreamID.inbound(7)
        var toB = StreamTests.writes(asked, on: out)
        var toA = StreamTests.writes(b.handle(.streamAccepted(inbound, from: address(1)), at: t0), on: inbound)
        for _ in 0..<100 where !toA.isEmpty || !toB.isEmpty {
            if !toB.isEmpty { toA += StreamTests.writes(b.handle(.streamData(inbound, toB), at: t0), on: inbound); toB = [] }
            if !toA.isEmpty {
                let directives = a.handle(.streamData(out, toA), at: t0)
                toA = []
                toB += StreamTests.writes(directives, on: out)
                if let answer = reply(directives, 1) { return answer }
            }
        }
        return nil
    }

    @Test func aRoundTripIsAskedOfTheMemberThatMeasuredIt() {
        var a = StreamTests.node("a", 1), b = StreamTests.node("b", 2)
        _ = a.start(at: Self.t0); _ = b.start(at: Self.t0)
        _ = Self.operatorJoin(b: &b, a: &a)
        let index = b.membership.members.index(of: "a")!
        b.membership.members[index: index].roundTripMicroseconds = 300
        b.membership.members[index: index].smoothRoundTrip(250)
        let asked = a.handle(.control(RequestID(1), .roundTrip(via: "b", to: "a")), at: Self.t0)
        #expect(Self.carry(asked, a: &a, b: &b)
                == .roundTrip(RoundTripAnswer(target: "a", smoothedMicroseconds: 250, lastMicroseconds: 300)))
        let own = a.handle(.control(RequestID(1), .roundTrip(via: "a", to: "b")), at: Self.t0)
        #expect(Self.reply(own, 1) == .roundTrip(RoundTripAnswer(target: "b", smoothedMicroseconds: nil, lastMicroseconds: nil)),
                "a never probed b: nothing measured")
        guard case .refused? = Self.reply(a.handle(.control(RequestID(1), .roundTrip(via: "x", to: "b")), at: Self.t0), 1) else {
            Issue.record("an unknown member cannot be asked"); return
        }
    }

    @Test func aRoundTripQuestionThatIsNotAnsweredIsRefusedWithAReason() {
        var a = StreamTests.node("a", 1), b = StreamTests.node("b", 2)
        _ = a.start(at: Self.t0); _ = b.start(at: Self.t0)
        _ = Self.operatorJoin(b: &b, a: &a)
        let asked = a.handle(.control(RequestID(1), .roundTrip(via: "b", to: "a")), at: Self.t0)
        let stream = asked.compactMap { d -> StreamID? in if case .openStream(let s, _) = d { s } else { nil } }
        guard case .refused(let reason)? = Self.reply(a.handle(.streamFailed(stream[0]), at: Self.t0), 1) else {
            Issue.record("no refusal"); return
        }
        #expect(reason.contains("did not answer"))
        #expect(a.members["b"]?.status == .alive, "a failed question is not a failed probe")
    }

    @Test(arguments: [
        ([1000], 1000), ([1000, 1800], 1100), ([1000, 200], 900), ([Int32.max, Int32.max], Int32.max), ([500, -1], 500),
    ] as [([Int32], Int32)])
    func theSmoothedRoundTripFollowsRFC6298(_ samples: [Int32], _ expected: Int32) {
        var member = Member(name: "b", address: Self.address(2), incarnation: 1, status: .alive, meta: [], statusChangedAt: .zero)
        #expect(member.roundTripSmoothedMicroseconds < 0)
        for sample in samples { member.smoothRoundTrip(sample) }
        #expect(member.roundTripSmoothedMicroseconds == expected)
    }
}
