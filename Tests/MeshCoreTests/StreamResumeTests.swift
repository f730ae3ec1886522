import Testing
@testable import MeshCore

/// Resumed task streams: no hello round trip once two members have a session, each counter taken
/// once, and a server that lost the session makes the client fall back to a full stream.
@Suite struct StreamResumeTests {
    static func spec(_ key: String) -> TaskSpec { TaskSpec(profile: "shell", prompt: "echo hi", idempotencyKey: key) }

    /// Submits `count` tasks through node 0 of a 3-node cluster, one after the other.
    static func submitted(_ count: Int, cluster: TaskCluster, prefix: String = "t") -> [UInt64] {
        (0..<count).map { n in
            let request = cluster.submit(spec("\(prefix)\(n)"), via: 0)
            cluster.run(for: .milliseconds(100))
            return request
        }
    }

    @Test func laterTaskStreamsResumeAndEveryTaskIsAccepted() {
        let cluster = TaskCluster(size: 3)
        let requests = Self.submitted(12, cluster: cluster)
        for request in requests { #expect(cluster.acceptance(request)?.copies == 2) }
        let stats = cluster.nodes.compactMap { $0?.streamStats }
        #expect(stats.map(\.resumed).reduce(0, +) > 0, "no stream resumed")
        #expect(stats.map(\.resumeRefused).reduce(0, +) == 0)
        #expect(stats.map(\.resumeRefusedHere).reduce(0, +) == 0)
        #expect(cluster.nodes.allSatisfy { $0?.streamsOpen == 0 })
    }

    @Test func aRestartedServerRefusesTheResumedStreamAndTheClientSendsItAgainInFull() {
        let cluster = TaskCluster(size: 3)
        _ = Self.submitted(12, cluster: cluster)
        let resumedBefore = cluster.nodes.compactMap { $0?.streamStats.resumed }.reduce(0, +)
        #expect(resumedBefore > 0)
        // Restart both peers of node 0 (their sessions are gone, their logs kept).
        for i in 1...2 {
            cluster.crash(i)
            cluster.restart(i)
        }
        cluster.run(for: .seconds(6))
        let requests = Self.submitted(6, cluster: cluster, prefix: "after")
        for request in requests { #expect(cluster.acceptance(request)?.copies == 2) }
        let refused = cluster.nodes.compactMap { $0?.streamStats.resumeRefused }.reduce(0, +)
        let refusedHere = cluster.nodes.compactMap { $0?.streamStats.resumeRefusedHere }.reduce(0, +)
        #expect(refused > 0 && refused == refusedHere)
    }

    @Test func aReplayedResumedStreamIsRefusedAndItsRequestIsNotReadAgain() {
        var server = StreamTests.node("b", 2)
        // A session on the server, made as a full stream's request would make it.
        let session = Bytes(repeating: 7, count: 16)
        _ = server.handle(.streamAccepted(.inbound(1), from: StreamTests.address(1)), at: StreamTests.t0)
        let serverNonce = server.streams[.inbound(1)]!.ownNonce
        server.sessions.serverCompleted(session: session, serverNonce: serverNonce, sender: "a")
        // The client's resumed stream: hello with the counter, then a request (an unknown task
        // message kind is fine: it must verify before anything reads it).
        var encoder = StreamEncoder(context: .resumed(session: session, serverNonce: serverNonce, counter: 1,
                                                      direction: StreamContext.clientToServer),
                                    keyring: StreamTests.key, sender: "a")
        let hello = StreamHello(versionMinimum: MeshVersion.protocolMinimum, versionCurrent: MeshVersion.streamCurrent,
                                isAuthenticated: true, labelHash: PacketCodec.hashLabel("test"), nonce: session, resumeCounter: 1)
        let bytes = hello.encoded() + encoder.message([TaskMessage.kindRange.lowerBound, 0xFF])
        _ = server.handle(.streamAccepted(.inbound(2), from: StreamTests.address(1)), at: StreamTests.t0)
        _ = server.handle(.streamData(.inbound(2), bytes), at: StreamTests.t0)
        #expect(server.streamStats.resumeRefusedHere == 0)
        #expect(server.sessions.servers[session]?.window.highest == 1, "the verified request took counter 1")
        // The same bytes again, on another stream: refused at the hello, nothing read.
        _ = server.handle(.streamAccepted(.inbound(3), from: StreamTests.address(1)), at: StreamTests.t0)
        let out = server.handle(.streamData(.inbound(3), bytes), at: StreamTests.t0)
        #expect(server.streamStats.resumeRefusedHere == 1)
        #expect(StreamTests.writes(out, on: .inbound(3)) == StreamCodec.resumeRefusal)
        #expect(StreamTests.closes(out, .inbound(3)))
        #expect(server.tasks.stats.badMessages == 1, "the replayed request was not decoded a second time")
    }

    @Test func aResumedStreamWithAForgedTagIsDroppedAndTakesNoCounter() {
        var server = StreamTests.node("b", 2)
        let session = Bytes(repeating: 7, count: 16)
        _ = server.handle(.streamAccepted(.inbound(1), from: StreamTests.address(1)), at: StreamTests.t0)
        server.sessions.serverCompleted(session: session, serverNonce: Bytes(repeating: 1, count: 16), sender: "a")
        var encoder = StreamEncoder(context: .resumed(session: session, serverNonce: Bytes(repeating: 1, count: 16), counter: 5,
                                                      direction: StreamContext.clientToServer),
                                    keyring: StreamTests.otherKey, sender: "a")
        let hello = StreamHello(versionMinimum: MeshVersion.protocolMinimum, versionCurrent: MeshVersion.streamCurrent,
                                isAuthenticated: true, labelHash: PacketCodec.hashLabel("test"), nonce: session, resumeCounter: 5)
        _ = server.handle(.streamData(.inbound(1), hello.encoded() + encoder.message([TaskMessage.kindRange.lowerBound])),
                          at: StreamTests.t0)
        #expect(server.streamDrops[.badTag] == 1)
        #expect(server.sessions.servers[session]?.window.highest == 0)
        #expect(server.streamsOpen == 0)
    }

    @Test func aResumedHelloIsMalformedWhereOnlyAFullOneMayCome() {
        let hello = StreamHello(versionMinimum: 2, versionCurrent: MeshVersion.streamCurrent, isAuthenticated: true,
                                labelHash: 9, nonce: Bytes(repeating: 1, count: 16), resumeCounter: 3).encoded()
        #expect(hello.count == StreamCodec.resumeHelloBytes)
        #expect(StreamHello.check(hello[...], labelHash: 9, hasKeys: true) == .failure(.malformed))
        guard case .success(let parsed) = StreamHello.check(hello[...], labelHash: 9, hasKeys: true, acceptsResume: true) else {
            Issue.record("a server refused a well-formed resumed hello"); return
        }
        #expect(parsed.resumeCounter == 3)
        var old = hello
        old[1] = MeshVersion.resumeProtocol - 1
        #expect(StreamHello.check(old[...], labelHash: 9, hasKeys: true, acceptsResume: true) == .failure(.malformed))
    }

    @Test func aResumedStreamClosedBeforeTheServersHelloGoesAgainInFullToTheSameServer() {
        var client = StreamTests.node("a", 1)
        let server = StreamTests.address(2)
        client.sessions.clientCompleted(to: server, session: Bytes(repeating: 4, count: 16), serverNonce: Bytes(repeating: 5, count: 16))
        client.openExchange(99, to: server, request: [TaskMessage.kindRange.lowerBound, 1], machine: .tasks)
        let first = client.output
        client.output.removeAll()
        guard case .openStream(let resumed, server)? = first.first else { Issue.record("no stream opened"); return }
        #expect(StreamTests.writes(first, on: resumed).count > StreamCodec.resumeHelloBytes, "hello and request at once")
        // The server closes it at once (its limit of inbound streams): no hello came.
        let out = client.handle(.streamClosed(resumed), at: StreamTests.t0)
        guard case .openStream(let full, server)? = out.first(where: { if case .openStream = $0 { true } else { false } }) else {
            Issue.record("the request was not sent again"); return
        }
        #expect(full != resumed)
        #expect(StreamTests.writes(out, on: full).count == StreamCodec.helloBytes, "a full hello, the request waits for the server's")
        #expect(client.streams[full]?.requestMayHaveArrived == true, "its failure must not claim the server never saw the request")
        #expect(client.streamStats.resumeRefused == 1)
        #expect(client.sessions.clients[server] != nil, "a close is no refusal: the session stays")
    }

    @Test func theReplayWindowTakesEachCounterOnceAndRefusesTheTooOld() {
        var window = ReplayWindow()
        #expect(!window.isFresh(0))
        for counter: UInt64 in [3, 1, 2, 100] {
            #expect(window.isFresh(counter))
            window.take(counter)
            #expect(!window.isFresh(counter))
        }
        #expect(window.isFresh(99) && window.isFresh(40))
        #expect(!window.isFresh(36), "older than the window: refused, the client starts a new session")
        #expect(!window.isFresh(3))
        window.take(UInt64.max)
        #expect(!window.isFresh(100) && !window.isFresh(UInt64.max))
    }
}
