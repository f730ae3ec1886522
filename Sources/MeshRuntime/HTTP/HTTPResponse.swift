import MeshCore

/// One HTTP response. The control server closes the connection after it unless the client keeps
/// it alive (HTTP/1.1 without `Connection: close`).
public struct HTTPResponse: Equatable, Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: Bytes
    /// A body produced while it is sent (chunked), instead of `body`; the connection closes after it.
    public var stream: HTTPBodyStream?
    /// Set for an answer that opens a Server-Sent Events stream instead of carrying a body.
    public var eventStream: EventStreamOpener?
    /// Set for a response whose body is written over time (`HTTPResponse.streaming`); `body` is unused then.
    public var streamingAnswer: StreamingAnswer?

    public init(status: Int, headers: [(String, String)] = [], body: Bytes = [], stream: HTTPBodyStream? = nil) {
        self.status = status; self.headers = headers; self.body = body; self.stream = stream
    }

    /// The head of a streamed response (`Transfer-Encoding: chunked`, closing after the body).
    public var streamedHead: Bytes {
        var head = "HTTP/1.1 \(status) \(HTTPResponse.reasonPhrase(status))\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if stream?.isChunked ?? true { head += "Transfer-Encoding: chunked\r\n" }
        head += "Connection: close\r\nCache-Control: no-store\r\n\r\n"
        return Array(head.utf8)
    }

    public static func == (lhs: HTTPResponse, rhs: HTTPResponse) -> Bool {
        lhs.status == rhs.status && lhs.body == rhs.body && lhs.eventStream === rhs.eventStream
            && lhs.streamingAnswer === rhs.streamingAnswer
            && lhs.headers.map { "\($0.0): \($0.1)" } == rhs.headers.map { "\($0.0): \($0.1)" }
    }

    /// A JSON response holding `value` (compact, with a final newline).
    public static func json(_ value: JSONValue, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")],
                     body: Array((value.serialized() + "\n").utf8))
    }

    /// `200 text/event-stream`: the control server opens a stream (within its limits, else it
    /// answers `503`) and hands it to `open`, which keeps it and sends events on it later.
    /// `keepAliveInterval` overrides the server's 15 s for this stream: a client with a shorter
    /// read timeout needs one below it (the `a2a-sdk` client's httpx default is 5 s: use 2 s).
    public static func eventStream(keepAliveInterval: Nanoseconds? = nil,
                                   _ open: @escaping (EventStream) -> Void) -> HTTPResponse {
        var response = HTTPResponse(status: 200, headers: [("Content-Type", "text/event-stream"), ("X-Accel-Buffering", "no")])
        response.eventStream = EventStreamOpener(keepAliveInterval: keepAliveInterval, open)
        return response
    }

    /// The head of an event stream: no length (the body runs until the connection closes).
    var eventStreamHead: Bytes {
        var head = "HTTP/1.1 \(status) \(HTTPResponse.reasonPhrase(status))\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        return Array((head + "Connection: close\r\nCache-Control: no-store\r\n\r\n").utf8)
    }

    /// A JSON error, the one shape every error path of the API answers with:
    /// `{"error": {"code", "message", ...details}}`. `code` is a stable machine word (defaults to
    /// the status's: `HTTPResponse.errorCode(for:)`); `details` add fields (`field`, `membersAsked`).
    public static func error(_ status: Int, _ message: String, code: String? = nil,
                             details: [(String, JSONValue)] = []) -> HTTPResponse {
        json(errorBody(code: code ?? errorCode(for: status), message: message, details: details), status: status)
    }

    /// `{"error": {"code", "message", ...details}}`.
    public static func errorBody(code: String, message: String, details: [(String, JSONValue)] = []) -> JSONValue {
        .object([("error", .object([("code", .string(code)), ("message", .string(message))] + details))])
    }

    /// The machine word of an error answer when the route names none.
    public static func errorCode(for status: Int) -> String {
        switch status {
        case 400: "bad_request"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 408: "request_timeout"
        case 409: "conflict"
        case 411: "length_required"
        case 413: "too_large"
        case 415: "unsupported_media_type"
        case 422: "unprocessable"
        case 431: "header_too_large"
        case 501: "not_implemented"
        case 502: "bad_gateway"
        case 503: "unavailable"
        case 505: "http_version_not_supported"
        default: status >= 500 ? "internal" : "error"
        }
    }

    /// The response as bytes on the wire, closing the connection.
    public var serialized: Bytes { serialized(keepAlive: false) }

    /// The response as bytes on the wire; `keepAlive` says the connection stays open for the next request.
    public func serialized(keepAlive: Bool) -> Bytes {
        var head = "HTTP/1.1 \(status) \(HTTPResponse.reasonPhrase(status))\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.count)\r\nConnection: \(keepAlive ? "keep-alive" : "close")\r\nCache-Control: no-store\r\n\r\n"
        return Array(head.utf8) + body
    }

    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 406: "Not Acceptable"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 413: "Content Too Large"
        case 411: "Length Required"
        case 415: "Unsupported Media Type"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 505: "HTTP Version Not Supported"
        default: "Status"
        }
    }
}
