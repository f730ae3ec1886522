import MeshCore

/// A response body written over time: the control server sends the head at once (chunked transfer
/// coding, `Connection: close`), then every `send` as one chunk, until `finish` or until the
/// connection ends (the client went away, a write failed, `ControlServer.Settings.streamDurationMax`
/// passed). Used for Server-Sent Events (the A2A streams) and for a JSON answer that must wait long
/// (A2A's blocking `SendMessage`, kept alive with leading whitespace, which JSON allows).
///
/// The small interface the A2A edge needs until the control server's generic SSE support lands;
/// one answer per connection. Confined to the server's queue: create it in the handler, and call
/// `send`/`finish` on that queue only.
public final class StreamingAnswer: @unchecked Sendable {
    /// Called once on the server's queue right after the head went out: start writing.
    let onOpen: (StreamingAnswer) -> Void
    /// Called once when the answer is over, whichever side ended it (`finish` included): stop timers.
    var onEnd: (() -> Void)?
    private var connection: Connection?
    /// True from the head until the end.
    public private(set) var isOpen = false
    private var hasEnded = false

    /// An answer that starts writing in `onOpen`.
    public init(onOpen: @escaping (StreamingAnswer) -> Void) {
        self.onOpen = onOpen
    }

    /// Queues `bytes` as one chunk (nothing for an empty write: an empty chunk ends a chunked body).
    public func send(_ bytes: Bytes) {
        guard isOpen, let connection, !bytes.isEmpty else { return }
        connection.send(Array((String(bytes.count, radix: 16) + "\r\n").utf8) + bytes + [13, 10])
    }

    /// Sends the last chunk and closes the connection once it is written.
    public func finish() {
        guard isOpen, let connection else { return }
        connection.send(Array("0\r\n\r\n".utf8), thenClose: true)
        ended()
    }

    /// The server sent the head on `connection`.
    func opened(on connection: Connection) {
        self.connection = connection
        isOpen = true
        onOpen(self)
    }

    /// The connection closed, or the answer finished: called once.
    func ended() {
        guard !hasEnded else { return }
        hasEnded = true
        isOpen = false
        connection = nil
        let callback = onEnd
        onEnd = nil
        callback?()
    }
}

extension HTTPResponse {
    /// A response whose body `answer` writes over time.
    public static func streaming(status: Int = 200, contentType: String, _ answer: StreamingAnswer) -> HTTPResponse {
        var response = HTTPResponse(status: status, headers: [("Content-Type", contentType)])
        response.streamingAnswer = answer
        return response
    }

    /// The head of a streamed response: chunked, closed after it, never cached or buffered by a proxy.
    var streamingHead: Bytes {
        var head = "HTTP/1.1 \(status) \(HTTPResponse.reasonPhrase(status))\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Transfer-Encoding: chunked\r\nConnection: close\r\nCache-Control: no-store\r\nX-Accel-Buffering: no\r\n\r\n"
        return Array(head.utf8)
    }
}
