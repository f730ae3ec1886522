import Testing
@testable import MeshCore

/// A node that has not joined reports each failed join attempt with what it can honestly tell.
@Suite struct JoinFailureTests {
    static let t0 = StreamTests.t0
    static let seed = StreamTests.address(2)

    /// A joiner started with one seed, and the outbound stream its join opened.
    static func joiner(keyring: Keyring? = StreamTests.key) -> (node: NodeInstance, stream: StreamID) {
        var a = StreamTests.node("a", 1, seeds: [seed], keyring: keyring)
        let started = a.start(at: t0)
        let stream = started.compactMap { if case .openStream(let id, _) = $0 { id } else { nil } }.first!
        return (a, stream)
    }

    static func failures(_ directives: [Directive]) -> [ExchangeFailure] {
        directives.compactMap { if case .event(.joinFailed(seed, let reason)) = $0 { reason } else { nil } }
    }

    /// The seed's hello: what `b` (with `keyring` and `label`) sends first on an accepted stream.
    static func hello(keyring: Keyring? = StreamTests.key, label: String = "test") -> Bytes {
        var b = NodeInstance(config: NodeConfig(name: "b", address: seed, keyring: keyring, label: label, randomSeed: 2))
        _ = b.start(at: t0)
        return StreamTests.writes(b.handle(.streamAccepted(.inbound(1), from: StreamTests.address(1)), at: t0), on: .inbound(1))
    }

    @Test func noConnectionAClosedStreamAndATimeoutAreToldApart() {
        var (a, stream) = Self.joiner()
        #expect(Self.failures(a.handle(.streamFailed(stream), at: Self.t0)) == [.noConnection])

        (a, stream) = Self.joiner()
        #expect(Self.failures(a.handle(.streamClosed(stream), at: Self.t0)) == [.closedBeforeHello])

        (a, stream) = Self.joiner()
        _ = a.handle(.streamData(stream, Self.hello()), at: Self.t0)
        #expect(Self.failures(a.handle(.streamClosed(stream), at: Self.t0)) == [.closedBeforeAnswer],
                "the seed refused our frames: all the joiner sees is a close after the hello")
    }

    @Test func aDifferentLabelOrAMissingKeyIsNamed() {
        var (a, stream) = Self.joiner()
        #expect(Self.failures(a.handle(.streamData(stream, Self.hello(label: "other")), at: Self.t0)) == [.refused(.wrongLabel)])
        (a, stream) = Self.joiner()
        #expect(Self.failures(a.handle(.streamData(stream, Self.hello(keyring: nil)), at: Self.t0)) == [.refused(.unauthenticated)])
        (a, stream) = Self.joiner(keyring: nil)
        #expect(Self.failures(a.handle(.streamData(stream, Self.hello()), at: Self.t0)) == [.refused(.unexpectedTag)])
    }

    @Test func aJoinedNodeReportsNoMoreFailures() {
        let (events, _, _) = StreamTests.join(chunk: 100_000)
        #expect(events.contains(.joined(seed: Self.seed)))
        #expect(!events.contains { if case .joinFailed = $0 { true } else { false } })
    }
}
