/// Resumed task streams (`StreamCodec`): the client's request leaves with its hello, and the
/// server takes each session counter once.
extension NodeInstance {
    /// Opens a resumed stream to `peer` for task exchange `exchange`: hello and request at once.
    mutating func openResumed(_ exchange: UInt64, to peer: Address, request: Bytes,
                              session: (session: Bytes, serverNonce: Bytes, counter: UInt64)) {
        nextOutboundStream &+= 1
        let stream = StreamID(nextOutboundStream, isShared: true)
        let (id, serverNonce, counter) = session
        var decoder = StreamDecoder(keyring: keyring, labelHash: labelHash) { _ in
            StreamContext.resumed(session: id, serverNonce: serverNonce, counter: counter, direction: StreamContext.serverToClient)
        }
        decoder.acceptsRefusal = true
        var encoder = StreamEncoder(context: .resumed(session: id, serverNonce: serverNonce, counter: counter,
                                                      direction: StreamContext.clientToServer),
                                    keyring: keyring, sender: membership.name)
        var state = StreamState(peer: peer, role: .outbound(exchange: exchange, request: request, machine: .tasks),
                                ownNonce: id, decoder: decoder)
        state.resumed = (id, counter)
        emit(.openStream(stream, to: peer))
        emit(.writeStream(stream, hello(id, resumeCounter: counter) + encoder.message(request)))
        state.encoder = encoder
        streams[stream] = state
        streamStats.opened += 1
        streamStats.resumed &+= 1
        setTimer(.streamDeadline(stream), at: now + exchangeTimeout(request))
    }

    /// A client's resumed hello on inbound `stream`: true when the session is known and the
    /// counter fresh (the decoder then reads on under the session's context); otherwise the
    /// stream is refused and closed, and false.
    mutating func resumeArrived(_ stream: StreamID, session: Bytes, counter: UInt64) -> Bool {
        guard let serverNonce = sessions.serverNonce(session: session, counter: counter) else {
            streamStats.resumeRefusedHere &+= 1
            emit(.writeStream(stream, StreamCodec.resumeRefusal))
            finish(stream, outcome: .superseded)
            return false
        }
        streams[stream]!.decoder.resume(with: .resumed(session: session, serverNonce: serverNonce, counter: counter,
                                                        direction: StreamContext.clientToServer))
        streams[stream]!.encoder = StreamEncoder(context: .resumed(session: session, serverNonce: serverNonce, counter: counter,
                                                                   direction: StreamContext.serverToClient),
                                                 keyring: keyring, sender: membership.name)
        streams[stream]!.resumed = (session, counter)
        return true
    }

    /// The server refused a resumed stream: forget the session and send the same request again
    /// on a full stream.
    mutating func resumeRefused(_ stream: StreamID) {
        guard let state = streams[stream], let resumed = state.resumed else { return }
        sessions.clientRefused(by: state.peer, session: resumed.session)
        resumeAbandoned(stream)
    }

    /// Sends the request of resumed `stream` again on a full stream to the same server. The
    /// refusal or close that ended it is not authenticated, so the server may have read the
    /// request after all: the new stream never reports that it did not (a retry elsewhere could
    /// then duplicate it); a retry to the same server is what every task request tolerates.
    mutating func resumeAbandoned(_ stream: StreamID) {
        guard let state = streams[stream], case .outbound(let exchange, let request, let machine) = state.role else { return }
        streamStats.resumeRefused &+= 1
        finish(stream, outcome: .superseded)
        openExchange(exchange, to: state.peer, request: request, machine: machine, mayResume: false, requestMayHaveArrived: true)
    }

    /// A full task exchange this node asked for was answered: its nonces make a session with the
    /// server, when the server resumes streams.
    mutating func resumableExchangeCompleted(_ state: StreamState) {
        guard state.resumed == nil, let serverNonce = state.peerNonce,
              state.decoder.peerVersionCurrent >= MeshVersion.resumeProtocol else { return }
        sessions.clientCompleted(to: state.peer, session: state.ownNonce, serverNonce: serverNonce)
    }

    /// A task request verified on inbound `stream`: a resumed one takes its counter (false, and the
    /// stream refused, when it was taken: a replay); a full one from a client that resumes makes a
    /// session.
    mutating func resumableRequestVerified(_ state: StreamState, stream: StreamID, sender: String) -> Bool {
        if let resumed = state.resumed {
            guard sessions.take(session: resumed.session, counter: resumed.counter, sender: sender) else {
                streamStats.resumeRefusedHere &+= 1
                emit(.writeStream(stream, StreamCodec.resumeRefusal))
                finish(stream, outcome: .superseded)
                return false
            }
            return true
        }
        if let clientNonce = state.peerNonce, state.decoder.peerVersionCurrent >= MeshVersion.resumeProtocol {
            sessions.serverCompleted(session: clientNonce, serverNonce: state.ownNonce, sender: sender)
        }
        return true
    }
}
