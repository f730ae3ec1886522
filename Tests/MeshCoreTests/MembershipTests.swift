import Testing
@testable import MeshCore

/// Handler tests on single instances: inputs in, directives out.
@Suite struct MembershipTests {
    static let t0 = Moment(now: Instant(nanoseconds: 1_000_000_000), wallMilliseconds: 0)
    static func at(_ seconds: Double) -> Moment {
        Moment(now: Instant(nanoseconds: Nanoseconds.seconds(fraction: seconds)), wallMilliseconds: 0)
    }
    static func address(_ i: UInt8) -> Address { Address(10, 0, 0, i, port: 7946) }

    static func node(_ name: String, _ i: UInt8, settings: MembershipSettings = .lan, lastIncarnation: UInt64 = 0) -> NodeInstance {
        NodeInstance(config: NodeConfig(name: name, address: address(i), settings: settings,
                                        randomSeed: UInt64(i), lastIncarnation: lastIncarnation))
    }

    static func datagram(_ messages: [Message], codec: PacketCodec = PacketCodec(keyring: nil, label: "")) -> Bytes {
        var w = ByteWriter()
        for m in messages { MessageCodec.encode(m, into: &w) }
        return codec.seal(payload: w.bytes)
    }

    static func sentMessages(_ directives: [Directive]) -> [(Address, [Message])] {
        let codec = PacketCodec(keyring: nil, label: "")
        var ignored = DropCounters()
        return directives.compactMap { d in
            guard case .send(let bytes, let to) = d, let range = try? codec.open(bytes).get(),
                  let messages = try? PacketCodec.messages(in: bytes, range: range, skipped: &ignored).get() else { return nil }
            return (to, messages)
        }
    }

    @Test func startPersistsAHigherIncarnationBeforeSendingAnything() {
        var n = Self.node("a", 1, lastIncarnation: 41)
        let directives = n.start(at: Self.t0)
        #expect(n.incarnation == 42)
        #expect(directives.first == .persistIncarnation(42))
    }

    @Test func aPingForThisNodeIsAcknowledgedAndOneForAnotherNameIsDroppedAndCounted() {
        var n = Self.node("a", 1)
        _ = n.start(at: Self.t0)
        let acks = Self.sentMessages(n.receiveDatagram(Self.datagram([.ping(Ping(sequence: 3, target: "a", source: "b"))]),
                                                       from: Self.address(2), at: Self.t0))
        #expect(acks.count == 1 && acks[0].0 == Self.address(2) && acks[0].1.first == .ack(sequence: 3))
        let none = n.receiveDatagram(Self.datagram([.ping(Ping(sequence: 4, target: "old-name", source: "b"))]),
                                     from: Self.address(2), at: Self.t0)
        #expect(Self.sentMessages(none).isEmpty)
        #expect(n.drops[.wrongTarget] == 1)
    }

    @Test func garbageIsDroppedAndCountedByReason() {
        var n = Self.node("a", 1)
        _ = n.start(at: Self.t0)
        _ = n.receiveDatagram([], from: Self.address(2), at: Self.t0)
        _ = n.receiveDatagram([2, 2, 0, 0x81, 0x1C, 0x9D, 0xC5, 0xEE, 0x00], from: Self.address(2), at: Self.t0)
        _ = n.receiveDatagram([2, 2, 0, 0, 0, 0, 0, 2, 4], from: Self.address(2), at: Self.t0)
        var g = SeededGenerator(seed: 5)
        for _ in 0..<2_000 {
            let length = g.below(200)
            _ = n.receiveDatagram((0..<length).map { _ in UInt8(truncatingIfNeeded: g.next()) }, from: Self.address(3), at: Self.t0)
        }
        #expect(n.drops[.truncated] >= 1)
        #expect(n.drops[.unknownMessageType] == 1)
        #expect(n.drops[.wrongLabel] >= 1)
        #expect(n.drops.total == 2_003)
        #expect(n.members.count == 0)
    }

    /// Valid unauthenticated packets, mutated (bit flips, truncation, inserted and duplicated
    /// bytes), reach the message decoders: each is either handled or dropped and counted.
    @Test func mutatedPacketsAreHandledOrDroppedNeverFatal() {
        var n = Self.node("a", 1)
        _ = n.start(at: Self.t0)
        var g = SeededGenerator(seed: 99)
        let samples = WireTests.everyMessage.filter { if case .pushPull = $0 { false } else { true } }
        var accepted = 0
        for round in 0..<20_000 {
            var payload = ByteWriter()
            for _ in 0...g.below(4) {
                let encoded = MessageCodec.encode(samples[g.below(samples.count)])
                if payload.bytes.count + encoded.count <= PacketCodec(keyring: nil, label: "").payloadBytesMax { payload.raw(encoded) }
            }
            var bytes = PacketCodec(keyring: nil, label: "").seal(payload: payload.bytes)
            switch g.below(4) {
            case 0: for _ in 0...g.below(3) { bytes[g.below(bytes.count)] ^= UInt8(1 << g.below(8)) }
            case 1: bytes.removeLast(g.below(bytes.count - PacketCodec.headerBytes))
            case 2: bytes.insert(UInt8(truncatingIfNeeded: g.next()), at: PacketCodec.headerBytes + g.below(bytes.count - PacketCodec.headerBytes))
            default: bytes += bytes[PacketCodec.headerBytes...].prefix(g.below(40))
            }
            let dropsBefore = n.drops.total
            _ = n.receiveDatagram(bytes, from: Self.address(UInt8(2 + round % 50)), at: Self.t0)
            if n.drops.total == dropsBefore { accepted += 1 }
        }
        // Both paths were exercised, and the node still answers a well-formed ping afterwards.
        #expect(accepted > 1_000 && 20_000 - accepted > 1_000)
        #expect(n.drops[.truncated] > 0 && n.drops[.malformed] > 0 && n.drops[.unknownMessageType] > 0)
        let replies = Self.sentMessages(n.receiveDatagram(Self.datagram([.ping(Ping(sequence: 77, target: "a", source: "z"))]),
                                                          from: Self.address(200), at: Self.t0))
        #expect(replies.first?.1.first == .ack(sequence: 77))
    }

    /// Mutated push-pull frames: each is merged and answered, or dropped and counted, never a crash.
    /// An independent decode of every frame predicts exactly which members the node learns.
    @Test func mutatedPushPullRequestsGetAReplyOrNoneNeverACrash() {
        var n = Self.node("a", 1)
        _ = n.start(at: Self.t0)
        var state: [MemberState] = []
        for i in 0..<40 {
            let status = MemberStatus.allCases[i % 4]
            state.append(MemberState(name: "m\(i)", address: Self.address(UInt8(10 + i)), incarnation: UInt64(i),
                                     status: status, meta: [UInt8(i)]))
        }
        let frame = MessageCodec.encode(.pushPull(PushPull(join: true, members: state)))
        var g = SeededGenerator(seed: 3)
        var answered = 0, decoded = 0, incompatible = 0
        var expectedNames: Set<String> = []
        for _ in 0..<3_000 {
            var bytes = frame
            for _ in 0...g.below(4) { bytes[g.below(bytes.count)] = UInt8(truncatingIfNeeded: g.next()) }
            if g.below(3) == 0 { bytes.removeLast(g.below(bytes.count)) }
            var reader = ByteReader(bytes)
            if case .pushPull(let p)? = try? MessageCodec.decode(from: &reader), reader.isAtEnd {
                decoded += 1
                if p.versions.overlaps(MeshVersion.protocolRange) {
                    // Only an alive entry makes a member known; suspect, dead or left ones of unknown names do not.
                    for m in p.members where m.status == .alive && m.name != "a" { expectedNames.insert(m.name) }
                } else {
                    incompatible += 1
                }
            }
            if n.membership.handleStreamRequest(bytes, from: Self.address(9)) != nil { answered += 1 }
        }
        #expect(answered == decoded)
        #expect(answered > 100 && answered < 3_000)
        #expect(Set(n.members.members.map(\.name)) == expectedNames)
        #expect(n.members.members.allSatisfy { MemberName.isValid($0.name) })
        // Every frame not answered, and every incompatible one, is counted exactly once.
        #expect(n.drops.total == UInt64(3_000 - answered + incompatible))
        #expect(n.membership.handleStreamRequest(frame, from: Self.address(9)) != nil)
    }

    @Test func higherIncarnationWinsAndAtEqualIncarnationDeadBeatsSuspectBeatsAlive() {
        var n = Self.node("a", 1)
        _ = n.start(at: Self.t0)
        func apply(_ m: Message) { _ = n.receiveDatagram(Self.datagram([m]), from: Self.address(9), at: Self.t0) }
        func state() -> (UInt64, MemberStatus)? { n.members["b"].map { ($0.incarnation, $0.status) } }
        apply(.alive(Alive(incarnation: 5, name: "b", address: Self.address(2), meta: [])))
        #expect(state()! == (5, .alive))
        apply(.alive(Alive(incarnation: 4, name: "b", address: Self.address(2), meta: [])))
        #expect(state()! == (5, .alive))
        apply(.suspect(Accusation(incarnation: 4, name: "b", from: "c")))
        #expect(state()! == (5, .alive))
        apply(.suspect(Accusation(incarnation: 5, name: "b", from: "c")))
        #expect(state()! == (5, .suspect))
        apply(.alive(Alive(incarnation: 5, name: "b", address: Self.address(2), meta: [])))
        #expect(state()! == (5, .suspect))
        apply(.dead(Accusation(incarnation: 5, name: "b", from: "c")))
        #expect(state()! == (5, .dead))
        apply(.suspect(Accusation(incarnation: 5, name: "b", from: "c")))
        apply(.alive(Alive(incarnation: 5, name: "b", address: Self.address(2), meta: [])))
        #expect(state()! == (5, .dead))
        apply(.leave(Leave(incarnation: 5, name: "b")))
        #expect(state()! == (5, .left))
        apply(.dead(Accusation(incarnation: 5, name: "b", from: "c")))
        #expect(state()! == (5, .left))
        apply(.alive(Alive(incarnation: 6, name: "b", address: Self.address(2), meta: [])))
        #expect(state()! == (6, .alive))
    }

    @Test func aSuspectedNodeRefutesWithAHigherIncarnationPersistedBeforeItIsAnnounced() {
        var n = Self.node("a", 1)
        _ = n.start(at: Self.t0)
        _ = n.receiveDatagram(Self.datagram([.alive(Alive(incarnation: 1, name: "b", address: Self.address(2), meta: []))]),
                              from: Self.address(2), at: Self.t0)
        let directives = n.receiveDatagram(Self.datagram([.suspect(Accusation(incarnation: 7, name: "a", from: "b"))]),
                                           from: Self.address(2), at: Self.t0)
        #expect(n.incarnation == 8)
        #expect(directives.contains(.persistIncarnation(8)))
        #expect(directives.contains(.event(.refuted(incarnation: 8))))
        // The refutation travels on the next packet: the ack to a ping carries alive(8).
        let reply = Self.sentMessages(n.receiveDatagram(Self.datagram([.ping(Ping(sequence: 1, target: "a", source: "b"))]),
                                                        from: Self.address(2), at: Self.t0))
        #expect(reply[0].1.contains(.alive(Alive(incarnation: 8, name: "a", address: Self.address(1), meta: []))))
        // An older accusation is ignored.
        _ = n.receiveDatagram(Self.datagram([.dead(Accusation(incarnation: 7, name: "a", from: "b"))]), from: Self.address(2), at: Self.t0)
        #expect(n.incarnation == 8)
    }

    @Test func aPingCarryingASuspicionOfTheReceiverIsAckedWithTheRefutation() {
        var n = Self.node("a", 1)
        _ = n.start(at: Self.t0)
        let replies = Self.sentMessages(n.receiveDatagram(Self.datagram([
            .ping(Ping(sequence: 9, target: "a", source: "b")),
            .suspect(Accusation(incarnation: 1, name: "a", from: "c"))]), from: Self.address(2), at: Self.t0))
        #expect(n.incarnation == 2)
        #expect(replies.count == 1)
        #expect(replies[0].1.first == .ack(sequence: 9))
        #expect(replies[0].1.contains(.alive(Alive(incarnation: 2, name: "a", address: Self.address(1), meta: []))))
    }

    @Test func aStaleAccusationOfThisNodeIsAnsweredDirectlyWithItsCurrentIncarnation() {
        var n = Self.node("a", 1, lastIncarnation: 4)
        _ = n.start(at: Self.t0)
        for stale in [Message.suspect(Accusation(incarnation: 3, name: "a", from: "c")),
                      .dead(Accusation(incarnation: 2, name: "a", from: "c")), .leave(Leave(incarnation: 1, name: "a"))] {
            let replies = Self.sentMessages(n.receiveDatagram(Self.datagram([stale]), from: Self.address(3), at: Self.t0))
            #expect(replies.count == 1 && replies[0].0 == Self.address(3))
            #expect(replies[0].1.first == .alive(Alive(incarnation: 5, name: "a", address: Self.address(1), meta: [])))
        }
        #expect(n.incarnation == 5)
    }

    @Test func confirmationProbesBeyondTheInFlightLimitWaitForAFreeSlotInsteadOfBeingDropped() {
        var settings = MembershipSettings.lan
        settings.probesInFlightMax = 2
        var n = Self.node("a", 1, settings: settings)
        _ = n.start(at: Self.t0)
        let names = ["b", "c", "d", "e", "f"]
        for (i, name) in names.enumerated() {
            _ = n.receiveDatagram(Self.datagram([.alive(Alive(incarnation: 1, name: name, address: Self.address(UInt8(2 + i)), meta: []))]),
                                  from: Self.address(9), at: Self.t0)
        }
        var directives = n.receiveDatagram(Self.datagram(names.map { .suspect(Accusation(incarnation: 1, name: $0, from: "z")) }),
                                           from: Self.address(9), at: Self.t0)
        func pinged(_ ds: [Directive]) -> [String] {
            Self.sentMessages(ds).flatMap { $0.1 }.compactMap { if case .ping(let p) = $0 { return p.target } else { return nil } }
        }
        var probed = pinged(directives)
        #expect(probed.count == 2)
        for _ in 0..<10 where probed.count < names.count {
            let deadlines = directives.compactMap { d -> (TimerID, Instant)? in
                if case .setTimer(let id, let at) = d, case .membership(.probeDeadline) = id.purpose { return (id, at) } else { return nil }
            }
            guard let first = deadlines.first else { break }
            directives = n.timerFired(first.0, at: Moment(now: first.1, wallMilliseconds: 0))
            probed += pinged(directives)
        }
        #expect(Set(probed) == Set(names))
    }

    @Test func aProbeWithNoAckRaisesASuspicionThatBecomesDeathAfterTheTimeout() {
        var settings = MembershipSettings.lan
        settings.confirmationProbes = false
        var n = Self.node("a", 1, settings: settings)
        var timers: [(TimerID, Instant)] = []
        func run(_ directives: [Directive]) {
            for d in directives { if case .setTimer(let id, let at) = d { timers.append((id, at)) } }
        }
        run(n.start(at: Self.t0))
        run(n.receiveDatagram(Self.datagram([.alive(Alive(incarnation: 1, name: "b", address: Self.address(2), meta: []))]),
                              from: Self.address(2), at: Self.t0))
        var events: [MeshEvent] = []
        // Drive timers in time order until b is dead (bounded).
        for _ in 0..<200 {
            guard let next = timers.enumerated().min(by: { $0.element.1 < $1.element.1 }) else { break }
            timers.remove(at: next.offset)
            let directives = n.timerFired(next.element.0, at: Moment(now: next.element.1, wallMilliseconds: 0))
            for d in directives { if case .event(let e) = d { events.append(e) } }
            run(directives)
            if n.members["b"]?.status == .dead { break }
        }
        #expect(events.contains(.suspicionRaised(name: "b", incarnation: 1)))
        #expect(events.contains(.deathDeclared(name: "b", incarnation: 1)))
        #expect(n.members["b"]?.status == .dead)
    }
}

/// The timing formulas, table-driven.
@Suite struct SuspicionTimingTests {
    @Test(arguments: [
        // (confirmations, expected K, min s, max s, timeout s)
        (0, 3, 2.0, 12.0, 12.0),
        (1, 3, 2.0, 12.0, 7.0),
        (3, 3, 2.0, 12.0, 2.0),
        (5, 3, 2.0, 12.0, 2.0),
        (0, 0, 2.0, 12.0, 2.0),
    ])
    func suspicionTimeoutFallsLogarithmicallyWithConfirmations(_ c: Int, _ k: Int, _ min: Double, _ max: Double, _ expected: Double) {
        let timeout = Suspicion.timeout(confirmations: c, expected: k, min: .seconds(fraction: min), max: .seconds(fraction: max))
        #expect(abs(Double(timeout) / 1e9 - expected) < 1e-6)
    }

    @Test(arguments: [(1, 4.0), (10, 4.0), (100, 8.0), (1000, 12.0)])
    func suspicionMinimumScalesWithLog10OfTheMeshSize(_ n: Int, _ seconds: Double) {
        let t = Suspicion.timeoutMin(multiplier: 4, members: n, probeInterval: .seconds(1))
        #expect(abs(Double(t) / 1e9 - seconds) < 1e-6)
    }

    @Test func confirmationsCountOnlyDistinctAccusersUpToK() {
        var s = Suspicion(accuser: "a", startedAt: .zero, timeoutMin: .seconds(1), timeoutMax: .seconds(6), confirmationsExpected: 2)
        let results = ["a", "b", "b", "c", "d"].map { s.confirm(by: $0) }
        #expect(results == [false, true, false, true, false])
        #expect(s.timeout == .seconds(1))
    }

    @Test func localHealthSaturatesAndScalesTimeouts() {
        var h = LocalHealth(multiplierMax: 8)
        h.apply(-1)
        #expect(h.score == 0)
        h.apply(20)
        #expect(h.score == 7)
        #expect(h.scale(.milliseconds(500)) == .seconds(4))
        #expect(LocalHealth(multiplierMax: 1).scale(.seconds(1)) == .seconds(1))
    }

    @Test func broadcastQueueSendsFewestSentFirstAndRetiresAtTheLimit() {
        func message(_ v: UInt8) -> Bytes { Array(repeating: v, count: 8) }
        func firstBytes(_ w: ByteWriter) -> [UInt8] { stride(from: 0, to: w.bytes.count, by: 8).map { w.bytes[$0] } }
        var q = BroadcastQueue(capacity: 3)
        q.enqueue(key: "a", message: message(1)); q.enqueue(key: "b", message: message(2)); q.enqueue(key: "c", message: message(3))
        var w = ByteWriter()
        q.fill(&w, bytesMax: 16, limit: 2, messagesMax: 64)
        #expect(firstBytes(w) == [3, 2])         // newest first among equals
        w = ByteWriter()
        q.fill(&w, bytesMax: 8, limit: 2, messagesMax: 64)
        #expect(firstBytes(w) == [1])            // fewest sent first
        q.enqueue(key: "a", message: message(4)) // replaces the older update about a, count reset
        q.enqueue(key: "d", message: message(5)) // over capacity: the most-sent, then oldest (b) goes
        #expect(q.count == 3)
        w = ByteWriter()
        q.fill(&w, bytesMax: 80, limit: 2, messagesMax: 64)
        #expect(firstBytes(w) == [5, 4, 3])
        #expect(q.count == 2)                    // c reached the limit and retired
    }


    @Test func aProbeOfAMembersPreviousLifeNeverAccusesItsNewLife() {
        var settings = MembershipSettings.lan
        settings.confirmationProbes = false
        var d = TimerDriver(MembershipTests.node("a", 1, settings: settings), at: MembershipTests.t0)
        d.start()
        d.receive(MembershipTests.datagram([.alive(Alive(incarnation: 1, name: "b", address: MembershipTests.address(2), meta: []))]),
                  from: MembershipTests.address(2))
        // The first ping to b (incarnation 1) goes unanswered: b is restarting. Its new life
        // announces itself at once and answers every later ping.
        var firstPing: UInt32?
        d.run(until: MembershipTests.t0.now + .seconds(10)) { driver, directives in
            for (_, messages) in MembershipTests.sentMessages(directives) {
                for case .ping(let ping) in messages where ping.target == "b" {
                    if firstPing == nil {
                        firstPing = ping.sequence
                        let alive = MembershipTests.datagram([.alive(Alive(incarnation: 2, name: "b", address: MembershipTests.address(2), meta: []))])
                        driver.receive(alive, from: MembershipTests.address(2))
                    } else if ping.sequence != firstPing {
                        driver.receive(MembershipTests.datagram([.ack(sequence: ping.sequence)]), from: MembershipTests.address(2))
                    }
                }
            }
        }
        #expect(firstPing != nil)
        #expect(d.node.members["b"]?.incarnation == 2)
        #expect(d.node.members["b"]?.status == .alive)
        #expect(!d.events.contains { if case .suspicionRaised(name: "b", _) = $0 { true } else { false } },
                "the probe of the old life must not accuse the new one")
    }
}
