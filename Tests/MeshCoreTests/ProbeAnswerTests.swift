import Testing
@testable import MeshCore

/// Answers bound to their probe (issue 7): a sequence that starts at a random value in each life,
/// and an ack, nack or indirect ack that counts only from an address that could have sent it.
@Suite struct ProbeAnswerTests {
    static let t0 = MembershipTests.t0
    static let attacker = Address(10, 0, 0, 250, port: 7946)
    static func address(_ i: Int) -> Address { MembershipTests.address(UInt8(i)) }
    static func datagram(_ messages: [Message]) -> Bytes { MembershipTests.datagram(messages) }

    /// Node "a" at address 1 that knows members m2 … m(count + 1), all alive.
    static func mesh(members count: Int, seed: UInt64 = 1) -> TimerDriver {
        var settings = MembershipSettings.lan
        settings.confirmationProbes = false
        let config = NodeConfig(name: "a", address: address(1), settings: settings, randomSeed: seed)
        var d = TimerDriver(NodeInstance(config: config), at: t0)
        _ = d.start()
        for i in 2..<(count + 2) {
            _ = d.receive(datagram([.alive(Alive(incarnation: 1, name: "m\(i)", address: address(i), meta: []))]),
                          from: address(i))
        }
        return d
    }

    /// Fires timers until the node sends a message that `pick` recognizes.
    static func fireUntil<T>(_ d: inout TimerDriver, _ pick: (Address, Message) -> T?) -> T? {
        for _ in 0..<1_000 {
            guard let directives = d.fireNext(until: d.now + .seconds(60)) else { return nil }
            for (to, messages) in MembershipTests.sentMessages(directives) {
                for message in messages { if let found = pick(to, message) { return found } }
            }
        }
        return nil
    }

    static func nextPing(_ d: inout TimerDriver) -> (to: Address, ping: Ping)? {
        fireUntil(&d) { to, message in if case .ping(let p) = message { (to, p) } else { nil } }
    }

    @Test func probeSequencesStartAtARandomValueInEachLife() throws {
        func firstSequence(seed: UInt64) throws -> UInt32 {
            var d = Self.mesh(members: 1, seed: seed)
            return try #require(Self.nextPing(&d)).ping.sequence
        }
        let sequences = try (1...8).map { try firstSequence(seed: $0) }
        #expect(Set(sequences).count == 8, "each life starts elsewhere: \(sequences)")
        #expect(!sequences.contains(1))
        #expect(try firstSequence(seed: 5) == firstSequence(seed: 5), "and the start comes from the seeded generator")
    }

    @Test func anAckFromAnotherAddressIsDroppedAndCountedAndTheProbeStillFails() throws {
        var d = Self.mesh(members: 1)
        let (target, ping) = try #require(Self.nextPing(&d))
        #expect(target == Self.address(2))
        _ = d.receive(Self.datagram([.ack(sequence: ping.sequence)]), from: Self.attacker)
        #expect(d.node.drops[.unexpectedAnswer] == 1)
        d.run(until: d.now + .seconds(1))
        #expect(d.events.contains(.suspicionRaised(name: "m2", incarnation: 1)))
        // The probe failed, so this node suspects itself a little (Lifeguard); a late answer to it
        // counts only from the probed member.
        let score = d.node.health.score
        _ = d.receive(Self.datagram([.ack(sequence: ping.sequence)]), from: Self.attacker)
        #expect(d.node.drops[.unexpectedAnswer] == 2 && d.node.health.score == score)
        _ = d.receive(Self.datagram([.ack(sequence: ping.sequence)]), from: target)
        #expect(d.node.health.score == score + 1)
    }

    @Test func onlyTheRelaysAskedMaySendIndirectAcksAndNacks() throws {
        var d = Self.mesh(members: 6)
        let (target, ping) = try #require(Self.nextPing(&d))
        // The probe timeout sends ping-reqs to `indirectChecks` members; collect them.
        var asked: [Address] = []
        while asked.isEmpty, let directives = d.fireNext(until: d.now + .seconds(1)) {
            for (to, messages) in MembershipTests.sentMessages(directives) where messages.contains(where: {
                if case .pingRequest(let r) = $0 { r.sequence == ping.sequence } else { false }
            }) { asked.append(to) }
        }
        #expect(asked.count == MembershipSettings.lan.indirectChecks)
        let notAsked = try #require((2...7).map(Self.address).first { $0 != target && !asked.contains($0) })
        for (message, sender) in [(Message.nack(sequence: ping.sequence), notAsked), (.indirectAck(sequence: ping.sequence), notAsked),
                                  (.indirectAck(sequence: ping.sequence), Self.attacker), (.nack(sequence: ping.sequence), target)] {
            _ = d.receive(Self.datagram([message]), from: sender)
        }
        #expect(d.node.drops[.unexpectedAnswer] == 4)
        _ = d.receive(Self.datagram([.nack(sequence: ping.sequence)]), from: asked[0])
        _ = d.receive(Self.datagram([.indirectAck(sequence: ping.sequence)]), from: asked[1])
        #expect(d.node.drops[.unexpectedAnswer] == 4)
        d.run(until: d.now + .seconds(1))
        #expect(!d.events.contains { if case .suspicionRaised = $0 { true } else { false } })
    }

    @Test func aRelayPassesOnOnlyAnAckFromTheMemberItPinged() throws {
        var d = Self.mesh(members: 2)
        let request = PingRequest(sequence: 77, target: "m2", targetAddress: Self.address(2))
        let relayed = MembershipTests.sentMessages(d.receive(Self.datagram([.pingRequest(request)]), from: Self.address(3)))
        guard case .ping(let ping)? = relayed.first?.1.first else { Issue.record("no relayed ping"); return }
        #expect(relayed.first?.0 == Self.address(2))
        let forged = d.receive(Self.datagram([.ack(sequence: ping.sequence)]), from: Self.attacker)
        #expect(MembershipTests.sentMessages(forged).isEmpty)
        #expect(d.node.drops[.unexpectedAnswer] == 1)
        let passedOn = MembershipTests.sentMessages(d.receive(Self.datagram([.ack(sequence: ping.sequence)]), from: Self.address(2)))
        #expect(passedOn.count == 1 && passedOn[0].0 == Self.address(3))
        #expect(passedOn.first?.1.first == .indirectAck(sequence: 77))
    }

    /// Issue 7: acks captured from the wire and replayed from another address kept a killed node
    /// "alive". Here the attacker even knows every sequence at once: m2 is dead all the same.
    @Test func acksReplayedFromAnotherAddressDoNotKeepADeadMemberAlive() {
        var d = Self.mesh(members: 4)
        let dead = Self.address(2)
        d.run(until: d.now + .seconds(30)) { d, directives in
            var work = directives
            for _ in 0..<100 where !work.isEmpty {
                var answers: [(Message, Address)] = []
                for (to, messages) in MembershipTests.sentMessages(work) {
                    for message in messages {
                        switch message {
                        case .ping(let p) where to == dead:
                            answers += [(.ack(sequence: p.sequence), Self.attacker), (.indirectAck(sequence: p.sequence), Self.attacker)]
                        case .ping(let p): answers.append((.ack(sequence: p.sequence), to))
                        case .pingRequest(let r) where r.targetAddress == dead: answers.append((.nack(sequence: r.sequence), to))
                        case .pingRequest(let r): answers.append((.indirectAck(sequence: r.sequence), to))
                        default: break
                        }
                    }
                }
                work = answers.flatMap { d.receive(Self.datagram([$0.0]), from: $0.1) }
            }
        }
        #expect(d.node.members["m2"]?.status == .dead)
        #expect(d.node.drops[.unexpectedAnswer] > 0)
        #expect(d.events.allSatisfy { if case .suspicionRaised(let name, _) = $0 { name == "m2" } else { true } })
    }
}
