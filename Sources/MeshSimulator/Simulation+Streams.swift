import MeshCore

/// Something that happens to a stream (push-pull over TCP in the real node). Every stream event
/// and its processing lives in this file.
enum StreamEvent {
    /// A stream request reaches `to`; the reply goes back to `from` in its life `fromLife`.
    case request(to: Int, from: Int, fromLife: Int, stream: StreamID, payload: Bytes)
    case reply(node: Int, life: Int, stream: StreamID, payload: Bytes)
    case failed(node: Int, life: Int, stream: StreamID)
}

/// Streams: a connect round trip, then the request; the reply one delay later. Reliable; they fail
/// after the stream timeout when the peer is cut off, or after one delay when its process is gone.
extension Simulation {
    /// The `openStream` directive of `node`.
    func openStream(_ stream: StreamID, from node: Int, to: Address, payload: Bytes) {
        trace.mix(3); trace.mix(node); trace.mix(stream.value); trace.mix(payload)
        notify { $0.streamBytesSent(payload.count, opening: true, node: node, world: self) }
        let life = nodes[node].life
        guard let destination = indexByAddress[to], !isBlocked(node, destination) else {
            queue.push(now + scenario.settings.streamTimeout, .stream(.failed(node: node, life: life, stream: stream)))
            return
        }
        // Connect (one round trip), then the request.
        queue.push(now + 3 * linkDelay(), .stream(.request(to: destination, from: node, fromLife: life, stream: stream, payload: payload)))
    }

    func process(_ event: StreamEvent) {
        switch event {
        case .request(let to, let from, let fromLife, let stream, let payload):
            handleStreamRequest(event, to: to, from: from, fromLife: fromLife, stream: stream, payload: payload)
        case .reply(let node, let life, let stream, let payload):
            guard nodes[node].life == life, nodes[node].instance != nil else { return }
            if deferIfPaused(node, .stream(event)) { return }
            trace.mix(UInt64(now)); trace.mix(node); trace.mix(payload)
            apply(node, nodes[node].instance!.streamReplied(stream, reply: payload, at: moment))
        case .failed(let node, let life, let stream):
            guard nodes[node].life == life, nodes[node].instance != nil else { return }
            if deferIfPaused(node, .stream(event)) { return }
            apply(node, nodes[node].instance!.streamFailed(stream, at: moment))
        }
    }

    func handleStreamRequest(_ event: StreamEvent, to: Int, from: Int, fromLife: Int, stream: StreamID, payload: Bytes) {
        guard nodes[to].instance != nil else {
            queue.push(now + linkDelay(), .stream(.failed(node: from, life: fromLife, stream: stream)))
            return
        }
        if deferIfPaused(to, .stream(event)) { return }
        trace.mix(UInt64(now)); trace.mix(to); trace.mix(payload)
        let (reply, directives) = nodes[to].instance!.handleStreamRequest(payload, from: nodes[from].address, at: moment)
        apply(to, directives)
        if let reply, !isBlocked(to, from) {
            notify { $0.streamBytesSent(reply.count, opening: false, node: to, world: self) }
            queue.push(now + linkDelay(), .stream(.reply(node: from, life: fromLife, stream: stream, payload: reply)))
        } else {
            queue.push(now + scenario.settings.streamTimeout, .stream(.failed(node: from, life: fromLife, stream: stream)))
        }
    }
}
