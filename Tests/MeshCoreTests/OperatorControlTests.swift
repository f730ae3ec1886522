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
            JoinAttempt(seed: Self.address(3), failure: ExchangeFailure.noConnection.description),
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
