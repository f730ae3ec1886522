import Testing
@testable import MeshCore

/// The node's one entry point: routing, timer generations, control requests and their replies.
@Suite struct NodeInstanceTests {
    static let t0 = Moment(now: Instant(nanoseconds: 1_000_000_000), wallMilliseconds: 0)
    static func node() -> NodeInstance {
        NodeInstance(config: NodeConfig(name: "a", address: Address(10, 0, 0, 1, port: 7946), randomSeed: 1))
    }

    @Test func aControlRequestIsAnsweredByAReplyWithItsID() {
        var n = Self.node()
        _ = n.handle(.start, at: Self.t0)
        let out = n.handle(.control(RequestID(7), .leave), at: Self.t0)
        #expect(out.contains(.reply(to: RequestID(7), .accepted)))
        #expect(out.contains { if case .event(.leaveAnnounced) = $0 { true } else { false } })
        #expect(n.isLeaving)
    }

    @Test func reArmingATimerSupersedesTheEarlierOneWhichThenFiresAsNothing() {
        var n = Self.node()
        let started = n.handle(.start, at: Self.t0)
        let probe = started.compactMap { d -> TimerID? in
            if case .setTimer(let id, _) = d, id.purpose == .membership(.probe) { id } else { nil }
        }
        #expect(probe.count == 1)
        var table = TimerTable()
        let first = table.arm(.membership(.gossip))
        let second = table.arm(.membership(.gossip))
        #expect(first.generation != second.generation)
        let firedFirst = table.fire(first), firedSecond = table.fire(second), firedAgain = table.fire(second)
        #expect(!firedFirst, "superseded")
        #expect(firedSecond)
        #expect(!firedAgain, "fires once")
        // A timer id the node never armed (another life's, say) changes nothing.
        let forged = TimerID(.membership(.probe), generation: probe[0].generation + 1_000)
        #expect(n.handle(.timer(forged), at: Self.t0).isEmpty)
        #expect(!n.handle(.timer(probe[0]), at: Self.t0).isEmpty, "the live one fires")
    }

    @Test func inputsNoMachineUsesYetChangeNothing() {
        var n = Self.node()
        _ = n.handle(.start, at: Self.t0)
        #expect(n.handle(.logSynced(upTo: 3), at: Self.t0).isEmpty)
        #expect(n.handle(.diskFailed(.full), at: Self.t0).isEmpty)
        #expect(n.handle(.agentExited(RunID(1), .exited(0)), at: Self.t0).isEmpty)
        #expect(n.handle(.streamData(StreamID(99), [1, 2, 3]), at: Self.t0).isEmpty, "unknown stream")
    }

    @Test func theSameInputsGiveTheSameDirectives() {
        var a = Self.node(), b = Self.node()
        let inputs: [Input] = [.start, .streamAccepted(.inbound(1), from: Address(10, 0, 0, 2, port: 1)),
                               .control(RequestID(1), .leave)]
        for input in inputs {
            let fromA = a.handle(input, at: Self.t0)
            let fromB = b.handle(input, at: Self.t0)
            #expect(fromA == fromB)
        }
    }
}
