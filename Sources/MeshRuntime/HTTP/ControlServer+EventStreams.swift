import MeshCore

/// Server-Sent Events on the control server: a handler answers `HTTPResponse.eventStream(_:)`,
/// and the connection becomes a stream that stays open (no deadline; keep-alive comments instead)
/// until the client leaves, the handler closes it, or the node stops.
extension ControlServer {
    /// Streams open now.
    var eventStreamCount: Int { eventStreams.count }

    /// Turns `connection` into a stream for `request`, within the limits on open streams (past
    /// them: `503` with `Retry-After`, counted as `tooManyStreams`).
    func openEventStream(_ connection: Connection, id: UInt64, request: HTTPRequest, head: HTTPResponse,
                         opener: EventStreamOpener) {
        guard connection.ending == nil else { return }   // the client left while the handler decided
        let source = ControlAdmission.source(of: connection.peer)
        let fromSource = eventStreams.keys.count { ControlAdmission.source(of: open[$0]?.peer) == source }
        guard eventStreams.count < settings.eventStreamsMax, fromSource < settings.eventStreamsPerSourceMax else {
            var response = HTTPResponse.error(503, "too many event streams open (at most \(settings.eventStreamsMax), "
                + "\(settings.eventStreamsPerSourceMax) from one address); close one and retry")
            response.headers.append(("Retry-After", "5"))
            return refuse(connection, .tooManyStreams, response)
        }
        connection.clearDeadline()
        // The client says nothing more on a stream; whatever it sends is dropped unread.
        connection.onInput = { connection in connection.consume(connection.input.count) }
        connection.send(head.eventStreamHead)
        var limits = settings.eventStream
        if let interval = opener.keepAliveInterval { limits.keepAliveInterval = interval }
        let stream = EventStream(request: request, connection: connection, limits: limits)
        eventStreams[id] = stream
        stream.start()
        opener.open(stream)
    }
}
