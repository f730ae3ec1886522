import Testing
@testable import MeshCore

/// A rolling upgrade at handler level: this build (protocol 2) beside hand-built packets and states
/// of a "next version" (2…3) that adds a message kind to every packet, and of versions it cannot speak.
@Suite struct UpgradeTests {
    static let t0 = MembershipTests.t0
    static let keyring = WireEvolutionTests.keyring
    static func address(_ i: Int) -> Address { MembershipTests.address(UInt8(i)) }

    static func node(seeds: [Address] = []) -> NodeInstance {
        var settings = MembershipSettings.lan
        settings.confirmationProbes = false
        return NodeInstance(config: NodeConfig(name: "a", address: address(1), seeds: seeds, settings: settings,
                                               keyring: keyring, randomSeed: 1))
    }

    /// The messages in the datagrams a node sent, read as the next version reads them.
    static func readByNextVersion(_ directives: [Directive]) -> [(Address, [Message])] {
        directives.compactMap { d in
            guard case .send(let bytes, let to) = d else { return nil }
            let (result, _) = WireEvolutionTests.decode(bytes, codec: PacketCodec(keyring: keyring, label: "",
                                                                                   versions: WireEvolutionTests.next))
            return (try? result.get()).map { (to, $0) }
        }
    }

    @Test func aNextVersionNodeThatAddsAMessageKindToEveryPacketIsHeardProbedAndAnswered() {
        var d = TimerDriver(Self.node(), at: Self.t0)
        _ = d.start()
        let b = Self.address(2)
        let hello = WireEvolutionTests.nextVersionDatagram([.alive(Alive(incarnation: 1, name: "b", address: b, meta: [])),
                                                             .ping(Ping(sequence: 5, target: "a", source: "b"))])
        let replies = Self.readByNextVersion(d.receive(hello, from: b))
        #expect(d.node.members["b"]?.status == .alive)
        #expect(replies.count == 1 && replies[0].0 == b && replies[0].1.first == .ack(sequence: 5))
        // Twenty seconds of probing: b answers every ping with next-version packets; no suspicion.
        d.run(until: d.now + .seconds(20)) { d, directives in
            for (to, messages) in Self.readByNextVersion(directives) where to == b {
                for case .ping(let p) in messages {
                    _ = d.receive(WireEvolutionTests.nextVersionDatagram([.ack(sequence: p.sequence)]), from: b)
                }
            }
        }
        #expect(!d.events.contains { if case .suspicionRaised = $0 { true } else { false } })
        #expect(d.node.members["b"]?.roundTripMicroseconds == 0, "acks were matched to probes")
        // A suspicion from the next version is refuted like any other.
        _ = d.receive(WireEvolutionTests.nextVersionDatagram([.suspect(Accusation(incarnation: 1, name: "a", from: "b"))]), from: b)
        #expect(d.node.incarnation == 2)
        #expect(d.node.drops.total == d.node.drops[.unknownMessageType] && d.node.drops.total > 20)
    }

    @Test func aPushPullFromANextVersionIsMergedAndOneFromAnIncompatibleVersionIsRefused() throws {
        var n = Self.node()
        _ = n.start(at: Self.t0)
        func request(_ versions: ProtocolRange, _ name: String) -> Bytes? {
            let state = [MemberState(name: name, address: Self.address(2), incarnation: 1, status: .alive, meta: [])]
            return n.membership.handleStreamRequest(MessageCodec.encode(.pushPull(PushPull(versions: versions, join: true, members: state))), from: Self.address(2))
        }
        let reply = try #require(request(WireEvolutionTests.next, "b"))
        var r = ByteReader(reply)
        guard case .pushPull(let answer) = try MessageCodec.decode(from: &r) else { Issue.record("no push-pull"); return }
        #expect(answer.versions == MeshVersion.protocolRange)
        #expect(n.members["b"] != nil)
        for (i, versions) in [ProtocolRange(minimum: 4, current: 5), ProtocolRange(minimum: 1, current: 1),
                              ProtocolRange(minimum: 3, current: 1)].enumerated() {
            // Refused, but answered: the peer learns our range and can say why.
            #expect(request(versions, "c\(i)") != nil)
            #expect(n.members["c\(i)"] == nil)
        }
        #expect(n.drops[.incompatibleVersion] == 3 && n.drops.total == 3)
    }

    @Test func aJoinThroughASeedOfAnIncompatibleVersionIsRefusedAndCounted() throws {
        let seed = Self.address(2)
        var n = Self.node(seeds: [seed])
        let started = n.start(at: Self.t0)
        #expect(started.contains { if case .openStream(_, seed) = $0 { true } else { false } })
        let first = try #require(n.membership.streams.keys.max())
        let seedState = [MemberState(name: "s", address: seed, incarnation: 1, status: .alive, meta: [])]
        func reply(_ versions: ProtocolRange) -> Bytes {
            MessageCodec.encode(.pushPull(PushPull(versions: versions, join: false, members: seedState)))
        }
        n.membership.exchangeReplied(first, reply: reply(ProtocolRange(minimum: 4, current: 4)))
        let refused = n.membership.takeEffects()
        #expect(!n.hasJoined && n.members.count == 0)
        #expect(!refused.contains { if case .event(.joined) = $0 { true } else { false } })
        #expect(n.drops[.incompatibleVersion] == 1)
        n.membership.timerFired(.join)
        let retry = try #require(n.membership.streams.keys.max())
        #expect(retry != first)
        n.membership.exchangeReplied(retry, reply: reply(WireEvolutionTests.next))
        #expect(n.hasJoined && n.members["s"]?.status == .alive)
    }
}
