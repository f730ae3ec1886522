import Dispatch
import MeshCore

/// Takes a streamed request body (an attachment upload) as it arrives, so the server never holds
/// a whole upload in memory. The control server calls `receive` with each piece in order, then
/// `finish` once `Content-Length` bytes have come (the sink answers through the responder it was
/// given), or `abort` when the connection ended first.
public protocol HTTPUploadSink: AnyObject {
    func receive(_ bytes: Bytes)
    func finish()
    func abort()
}

/// Streamed request bodies and responses.
extension ControlServer {
    /// How long an upload may take from its head to its last byte.
    static let uploadTimeout: Nanoseconds = .seconds(600)
    /// How long a streamed response (a followed log) may stay open.
    static let streamedResponseTimeout: Nanoseconds = .seconds(86_400)

    /// A `POST` to an upload path whose head has arrived: checked by the policy, then its body is
    /// handed to the upload handler's sink piece by piece. True when `input` held such a head.
    func beginUpload(_ connection: Connection, id: UInt64, local: SocketEndpoint?) -> Bool {
        guard let uploads = uploadHandler,
              case .head(let request, let bodyStart, let bodyLength) = HTTPRequestParser.parseHead(connection.input, limits: settings.limits),
              request.method == "POST", ControlRequestPolicy.rawBodyPaths.contains(request.path) else { return false }
        admissionArrived(id)
        connection.onInput = nil
        if let (reason, response) = policy.refusal(of: request, arrivedAt: local) {
            refuse(connection, reason, response)
            return true
        }
        connection.consume(bodyStart)
        connection.setDeadline(Self.uploadTimeout)
        var isAnswered = false
        let respond: (HTTPResponse) -> Void = { [self] response in
            guard !isAnswered else { return }
            isAnswered = true
            answer(connection, id: id, local: local, response, keepsAlive: false)
        }
        guard let sink = uploads(request, bodyLength, respond) else { return true }
        var remaining = bodyLength
        let previous = connection.onClose
        connection.onClose = { closed, ending in
            previous?(closed, ending)
            if remaining > 0 { sink.abort() }
        }
        let feed: (Connection) -> Void = { connection in
            guard remaining > 0 else { return }
            var bytes = connection.takeInput()
            if bytes.count > remaining { bytes.removeLast(bytes.count - remaining) }
            remaining -= bytes.count
            if !bytes.isEmpty { sink.receive(bytes) }
            if remaining == 0 { connection.onInput = nil; sink.finish() }
        }
        if bodyLength == 0 { sink.finish() } else {
            connection.onInput = feed
            if !connection.input.isEmpty { feed(connection) }
        }
        return true
    }

    /// Sends a streamed response's head and hands the connection to its body.
    func answerStreamed(_ connection: Connection, _ response: HTTPResponse, body: HTTPBodyStream) {
        connection.send(response.streamedHead)
        connection.setDeadline(Self.streamedResponseTimeout)
        let previous = connection.onClose
        connection.onClose = { closed, ending in
            previous?(closed, ending)
            body.closed()
        }
        if connection.ending != nil { return body.closed() }
        body.attach(connection, queue: queue)
    }
}
