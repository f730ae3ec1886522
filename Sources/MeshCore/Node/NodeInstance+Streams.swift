/// What streams did, counted.
public struct StreamStats: Sendable, Equatable {
    /// Outbound streams opened and inbound streams accepted.
    public var opened: UInt64 = 0
    public var accepted: UInt64 = 0
    /// Inbound streams closed at once because `StreamLimits.inboundStreamsMax` were open.
    public var refused: UInt64 = 0
    /// Streams whose deadline passed before their exchange was done.
    public var timedOut: UInt64 = 0
    /// Streams that failed, or that the peer closed before the exchange was done.
    public var failed: UInt64 = 0
    /// Exchanges completed: replies received (outbound) and answered (inbound).
    public var completed: UInt64 = 0
    /// Task streams opened resumed (no hello round trip), and those sent again on a full stream
    /// (the server refused them, or they ended before its hello).
    public var resumed: UInt64 = 0
    public var resumeRefused: UInt64 = 0
    /// Resumed streams this node refused as their server: no such session, or a counter taken
    /// (a replay).
    public var resumeRefusedHere: UInt64 = 0
    public init() {}
}

/// One open stream and where its exchange stands.
struct StreamState: Sendable {
    /// The machine an outbound exchange belongs to.
    enum Machine: Sendable { case membership, tasks }
    enum Role: Sendable {
        /// This node asked: `request` goes out once the peer's hello arrives; the reply goes to
        /// `machine`'s `exchange`.
        case outbound(exchange: UInt64, request: Bytes, machine: Machine)
        /// The peer asks; this node answers.
        case inbound
    }
    var peer: Address
    var role: Role
    var ownNonce: Bytes
    var decoder: StreamDecoder
    var encoder: StreamEncoder?
    /// The peer's hello nonce, once it came.
    var peerNonce: Bytes? = nil
    /// A resumed stream's session id and counter.
    var resumed: (session: Bytes, counter: UInt64)? = nil
    /// The same request went out before on a resumed stream that ended without a word from the
    /// server: the peer may have read it, so a failure here never says it did not.
    var requestMayHaveArrived = false
}

/// Streams: opening, framing, authentication, deadlines, and routing their messages.
extension NodeInstance {
    /// Opens a stream to `peer` for one exchange of `machine`.
    mutating func openExchange(_ exchange: UInt64, to peer: Address, request: Bytes, machine: StreamState.Machine = .membership,
                               mayResume: Bool = true, requestMayHaveArrived: Bool = false) {
        if machine == .tasks, mayResume, let session = sessions.nextStream(to: peer) {
            return openResumed(exchange, to: peer, request: request, session: session)
        }
        nextOutboundStream &+= 1
        let stream = StreamID(nextOutboundStream, isShared: machine == .tasks)
        let nonce = makeNonce()
        let decoder = StreamDecoder(keyring: keyring, labelHash: labelHash) { serverNonce in
            StreamContext(clientNonce: nonce, serverNonce: serverNonce, direction: StreamContext.serverToClient)
        }
        streams[stream] = StreamState(peer: peer, role: .outbound(exchange: exchange, request: request, machine: machine),
                                      ownNonce: nonce, decoder: decoder, requestMayHaveArrived: requestMayHaveArrived)
        streamStats.opened += 1
        emit(.openStream(stream, to: peer))
        emit(.writeStream(stream, hello(nonce)))
        setTimer(.streamDeadline(stream), at: now + exchangeTimeout(request))
    }

    mutating func streamAccepted(_ stream: StreamID, from peer: Address) {
        guard stream.isInbound, streams[stream] == nil else {
            emit(.closeStream(stream))
            return
        }
        guard inboundStreamCount < StreamLimits.inboundStreamsMax else {
            streamStats.refused += 1
            emit(.closeStream(stream))
            return
        }
        let nonce = makeNonce()
        var decoder = StreamDecoder(keyring: keyring, labelHash: labelHash) { clientNonce in
            StreamContext(clientNonce: clientNonce, serverNonce: nonce, direction: StreamContext.clientToServer)
        }
        decoder.acceptsResume = true
        streams[stream] = StreamState(peer: peer, role: .inbound, ownNonce: nonce, decoder: decoder)
        inboundStreamCount += 1
        streamStats.accepted += 1
        emit(.writeStream(stream, hello(nonce)))
        setTimer(.streamDeadline(stream), at: now + membership.settings.streamTimeout)
    }

    mutating func streamData(_ stream: StreamID, _ bytes: Bytes) {
        var input = bytes
        // A resumed hello pauses the decoder until its session is looked up; then it reads on.
        while let resumes = streamDataStep(stream, input), resumes {
            input = []
        }
    }

    /// Feeds `bytes` to the stream's decoder and handles what they completed; true when a resumed
    /// hello was taken and the decoder must read on, nil when the stream is gone.
    private mutating func streamDataStep(_ stream: StreamID, _ bytes: Bytes) -> Bool? {
        guard var decoder = streams[stream]?.decoder else { return nil }
        let result = decoder.feed(bytes)
        streams[stream]!.decoder = decoder
        switch result {
        case .failure(let reason):
            streamDrops.count(reason)
            finish(stream, outcome: .failed(.refused(reason)))
        case .success(let events):
            for event in events {
                guard let state = streams[stream] else { return nil }
                switch event {
                case .hello(let peerNonce):
                    streams[stream]!.peerNonce = peerNonce
                    guard state.encoder == nil else { continue }   // resumed: the request went out with the hello
                    var encoder = encoder(for: state, peerNonce: peerNonce)
                    if case .outbound(_, let request, _) = state.role {
                        emit(.writeStream(stream, encoder.message(request)))
                    }
                    streams[stream]!.encoder = encoder
                case .message(let payload, let sender):
                    messageArrived(payload, from: sender, on: stream)
                case .resumeHello(let session, let counter):
                    return resumeArrived(stream, session: session, counter: counter)
                case .resumeRefused:
                    resumeRefused(stream)
                    return nil
                }
            }
        }
        return false
    }

    /// A whole message from the member its frames authenticated as `sender`.
    private mutating func messageArrived(_ payload: Bytes, from sender: String, on stream: StreamID) {
        guard let state = streams[stream] else { return }
        switch state.role {
        case .outbound(let exchange, _, let machine):
            streamStats.completed += 1
            if machine == .tasks { resumableExchangeCompleted(state) }
            finish(stream, outcome: .done)
            switch machine {
            case .membership:
                if roundTripReplied(exchange, payload: payload) { return }
                let failure = membership.exchangeReplied(exchange, reply: payload, senderName: sender)
                joinExchangeEnded(exchange, failure: failure)
            case .tasks: taskExchangeReplied(exchange, payload)
            }
        case .inbound where payload.first.map(TaskMessage.kindRange.contains) == true:
            guard resumableRequestVerified(state, stream: stream, sender: sender) else { return }
            // A task request: answered now or later (after a sync), by `answerTaskRequest`.
            taskRequestArrived(payload, from: sender, on: stream)
        case .inbound where state.resumed != nil:
            finish(stream, outcome: .failed(.badAnswer))   // only task requests resume
        case .inbound:
            // One request per inbound stream: answering finishes it, so whatever follows is never read.
            let reply = answerRoundTripQuery(payload)
                ?? membership.handleStreamRequest(payload, from: state.peer, senderName: sender)
            // What merging decided (a persisted incarnation first of all) goes before the reply.
            gatherMembership()
            guard let reply, var encoder = state.encoder else {
                finish(stream, outcome: .failed(.badAnswer))
                return
            }
            emit(.writeStream(stream, encoder.message(reply)))
            streamStats.completed += 1
            finish(stream, outcome: .done)
        }
    }

    /// The peer closed its side (`failed == false`) or the stream broke.
    mutating func streamEnded(_ stream: StreamID, failed: Bool) {
        guard let state = streams[stream] else { return }
        // A resumed stream that ends before the server's hello (refused at its limit, or cut):
        // the request goes again on a full stream to the same server.
        if state.resumed != nil, state.peerNonce == nil, case .outbound = state.role { return resumeAbandoned(stream) }
        if !failed && !state.decoder.isBetweenMessages { streamDrops.count(.truncated) }
        // After the peer's hello, a close and a reset mean the same: it would not answer us.
        let failure: ExchangeFailure = state.encoder != nil ? .closedBeforeAnswer
            : failed ? .noConnection : .closedBeforeHello
        finish(stream, outcome: .failed(failure))
    }

    /// No connection was made for outbound `stream`: nothing written on it left this node, a
    /// resumed stream's request included, so its exchange fails as never sent (a forward goes to
    /// the next candidate) instead of going again on a full stream to a peer that cannot be reached.
    mutating func streamNotConnected(_ stream: StreamID) {
        guard let state = streams[stream], case .outbound = state.role else { return streamEnded(stream, failed: true) }
        finish(stream, outcome: .failed(.noConnection))
    }

    mutating func streamDeadlinePassed(_ stream: StreamID) {
        guard let state = streams[stream] else { return }
        streamStats.timedOut += 1
        finish(stream, outcome: .timedOut(helloReceived: state.encoder != nil))
    }

    /// How a stream ended; a failure says why, for an outbound exchange's owner. `superseded`:
    /// its exchange goes on on another stream (a refused resumption), or it had none.
    enum StreamOutcome { case done, failed(ExchangeFailure), timedOut(helloReceived: Bool), superseded }

    /// Answers a task request that waited (nil: closes the stream unanswered).
    mutating func answerTaskRequest(_ stream: StreamID, _ reply: Bytes?) {
        guard let state = streams[stream], var encoder = state.encoder else { return }
        guard let reply else { return finish(stream, outcome: .failed(.badAnswer)) }
        emit(.writeStream(stream, encoder.message(reply)))
        streams[stream]!.encoder = encoder
        streamStats.completed += 1
        finish(stream, outcome: .done)
    }

    /// Forgets a stream, closes it, and tells its exchange when it did not complete.
    mutating func finish(_ stream: StreamID, outcome: StreamOutcome) {
        guard let state = streams.removeValue(forKey: stream) else { return }
        timers.disarm(.streamDeadline(stream))
        if stream.isInbound { inboundStreamCount -= 1 }
        let failure: ExchangeFailure?
        switch outcome {
        case .done, .superseded: failure = nil
        case .failed(let why): streamStats.failed += 1; failure = why
        case .timedOut(let helloReceived): failure = .timedOut(helloReceived: helloReceived)
        }
        emit(.closeStream(stream))
        if var failure, case .outbound(let exchange, _, let machine) = state.role {
            if state.requestMayHaveArrived && !failure.mayHaveSentRequest { failure = .closedBeforeAnswer }
            switch machine {
            case .membership:
                if !roundTripFailed(exchange, reason: failure.description) {
                    membership.exchangeFailed(exchange, failure)
                    joinExchangeEnded(exchange, failure: failure.description)
                }
            case .tasks: taskExchangeFailed(exchange, failure)
            }
        }
    }

    private func encoder(for state: StreamState, peerNonce: Bytes) -> StreamEncoder {
        let context: StreamContext
        switch state.role {
        case .outbound:
            context = StreamContext(clientNonce: state.ownNonce, serverNonce: peerNonce, direction: StreamContext.clientToServer)
        case .inbound:
            context = StreamContext(clientNonce: peerNonce, serverNonce: state.ownNonce, direction: StreamContext.serverToClient)
        }
        return StreamEncoder(context: context, keyring: keyring, sender: membership.name)
    }

    func hello(_ nonce: Bytes, resumeCounter: UInt64? = nil) -> Bytes {
        StreamHello(versionMinimum: MeshVersion.protocolMinimum, versionCurrent: MeshVersion.streamCurrent,
                    isAuthenticated: keyring != nil, labelHash: labelHash, nonce: nonce, resumeCounter: resumeCounter).encoded()
    }

    mutating func makeNonce() -> Bytes {
        var nonce = Bytes()
        nonce.reserveCapacity(StreamCodec.nonceBytes)
        for _ in 0..<(StreamCodec.nonceBytes / 8) {
            let word = nonceGenerator.next()
            for shift in stride(from: 56, through: 0, by: -8) { nonce.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return nonce
    }

    /// Streams open now.
    public var streamsOpen: Int { streams.count }
}
