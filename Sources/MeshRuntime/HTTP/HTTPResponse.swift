import MeshCore

/// One HTTP response. The control server closes the connection after it unless the client keeps
/// it alive (HTTP/1.1 without `Connection: close`).
public struct HTTPResponse: Equatable, Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: Bytes
    /// A body produced while it is sent (chunked), instead of `body`; the connection closes after it.
    public var stream: HTTPBodyStream?

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
        lhs.status == rhs.status && lhs.body == rhs.body
            && lhs.headers.map { "\($0.0): \($0.1)" } == rhs.headers.map { "\($0.0): \($0.1)" }
    }

    /// A JSON response holding `value` (compact, with a final newline).
    public static func json(_ value: JSONValue, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")],
                     body: Array((value.serialized() + "\n").utf8))
    }

    /// A JSON error: `{"error": message}`.
    public static func error(_ status: Int, _ message: String) -> HTTPResponse {
        json(.object([("error", .string(message))]), status: status)
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
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        case 505: "HTTP Version Not Supported"
        default: "Status"
        }
    }
}
