import MeshCore

/// One parsed HTTP/1.x request.
public struct HTTPRequest: Equatable, Sendable {
    /// The method, as sent (methods are case-sensitive): `GET`, `POST`, …
    public var method: String
    /// The request target's path, without any query string.
    public var path: String
    /// The query string after `?`, or empty.
    public var query: String
    /// Header fields with lowercased names; a repeated field keeps its last value (a repeated `Host`,
    /// `Origin` or `Content-Type` is refused by the parser).
    public var headers: [String: String]
    public var body: Bytes
    /// `HTTP/1.1` or `HTTP/1.0`, as the request line said.
    public var version: String

    public init(method: String, path: String, query: String = "", headers: [String: String] = [:], body: Bytes = [],
                version: String = "HTTP/1.1") {
        self.method = method; self.path = path; self.query = query; self.headers = headers; self.body = body
        self.version = version
    }

    /// True when the client may send another request on the connection after the answer:
    /// HTTP/1.1 without `Connection: close` (HTTP/1.0 connections always close here).
    public var keepsAlive: Bool {
        guard version == "HTTP/1.1" else { return false }
        let tokens = (headers["connection"] ?? "").lowercased().split(separator: ",").map { Text.trimmed($0) }
        return !tokens.contains("close")
    }
}

/// The bounds the control server holds every request to; each is a named limit with a test at the edge.
public struct HTTPLimits: Sendable, Equatable {
    /// Request line and header fields together, in bytes (the blank line excluded).
    public var headerBytesMax: Int
    /// Header fields in one request.
    public var headerFieldsMax: Int
    /// Body bytes (Content-Length).
    public var bodyBytesMax: Int
    /// Larger body limits for the few paths that need them (`POST /v1/tasks` carries a prompt).
    public var bodyBytesMaxByPath: [String: Int]

    public init(headerBytesMax: Int = 8 * 1024, headerFieldsMax: Int = 64, bodyBytesMax: Int = 64 * 1024,
                bodyBytesMaxByPath: [String: Int] = [:]) {
        self.headerBytesMax = headerBytesMax; self.headerFieldsMax = headerFieldsMax; self.bodyBytesMax = bodyBytesMax
        self.bodyBytesMaxByPath = bodyBytesMaxByPath
    }

    /// The body limit for a request to `path`.
    public func bodyBytesMax(for path: String) -> Int { bodyBytesMaxByPath[path] ?? bodyBytesMax }

    /// Everything one request may take on the wire.
    public var requestBytesMax: Int { headerBytesMax + 4 + max(bodyBytesMax, bodyBytesMaxByPath.values.max() ?? 0) }
}

/// What the parser made of the bytes received so far.
public enum HTTPParseResult: Equatable, Sendable {
    /// The request is not all there yet.
    case incomplete
    /// A whole request and the bytes it took.
    case complete(HTTPRequest, consumed: Int)
    /// The bytes can never be a request this server accepts: answer `status` and close.
    case invalid(status: Int, reason: String)
}

/// A strict, bounded HTTP/1.x request parser: CRLF line ends, `Content-Length` bodies only (no
/// chunked transfer coding), every size checked against `HTTPLimits` before it is buffered further.
public enum HTTPRequestParser {
    private static let lineEnd: [UInt8] = [13, 10]
    /// Header fields that may appear at most once (lowercased).
    static let singleFields: Set<String> = ["host", "origin", "content-type"]
    private static let headerEnd: [UInt8] = [13, 10, 13, 10]

    public static func parse(_ bytes: Bytes, limits: HTTPLimits = HTTPLimits()) -> HTTPParseResult {
        switch parseHead(bytes, limits: limits) {
        case .incomplete: return .incomplete
        case .invalid(let status, let reason): return .invalid(status: status, reason: reason)
        case .head(var request, let bodyStart, let bodyLength):
            let limit = limits.bodyBytesMax(for: request.path)
            guard bodyLength <= limit else { return .invalid(status: 413, reason: "body over \(limit) bytes") }
            guard bytes.count >= bodyStart + bodyLength else { return .incomplete }
            request.body = Array(bytes[bodyStart..<(bodyStart + bodyLength)])
            return .complete(request, consumed: bodyStart + bodyLength)
        }
    }

    /// What `parseHead` made of the bytes so far.
    public enum HeadResult: Equatable, Sendable {
        case incomplete
        case invalid(status: Int, reason: String)
        /// The request without its body, where the body starts and its `Content-Length` (0 without one).
        case head(HTTPRequest, bodyStart: Int, bodyLength: Int)
    }

    /// Parses the request line and header only (the body's size is not checked against a limit
    /// here: a streamed upload checks its own).
    public static func parseHead(_ bytes: Bytes, limits: HTTPLimits = HTTPLimits()) -> HeadResult {
        guard let headEnd = find(headerEnd, in: bytes, within: limits.headerBytesMax + headerEnd.count) else {
            if bytes.count >= limits.headerBytesMax + headerEnd.count {
                return .invalid(status: 431, reason: "request header over \(limits.headerBytesMax) bytes")
            }
            return .incomplete
        }
        guard let head = String(validating: bytes[0..<headEnd], as: UTF8.self) else {
            return .invalid(status: 400, reason: "request header is not UTF-8")
        }
        var lines = HTTPRequestParser.lines(head)
        let requestLine = lines.removeFirst()
        let parts = requestLine.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return .invalid(status: 400, reason: "malformed request line") }
        let method = String(parts[0])
        guard !method.isEmpty, method.utf8.allSatisfy({ $0 >= 65 && $0 <= 90 }) else {
            return .invalid(status: 400, reason: "malformed method")
        }
        let target = String(parts[1])
        guard target.hasPrefix("/") else { return .invalid(status: 400, reason: "request target must be a path") }
        guard parts[2] == "HTTP/1.1" || parts[2] == "HTTP/1.0" else {
            return .invalid(status: 505, reason: "only HTTP/1.0 and HTTP/1.1 are spoken here")
        }
        guard lines.count <= limits.headerFieldsMax else {
            return .invalid(status: 431, reason: "more than \(limits.headerFieldsMax) header fields")
        }
        var headers: [String: String] = [:]
        var contentLengths: Set<String> = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { return .invalid(status: 400, reason: "malformed header field") }
            let name = line[..<colon]
            guard !name.isEmpty, name.utf8.allSatisfy(isTokenByte) else { return .invalid(status: 400, reason: "malformed header name") }
            let value = Text.trimmed(line[line.index(after: colon)...])
            let key = name.lowercased()
            if key == "content-length" { contentLengths.insert(value) }
            // RFC 9112 §3.2: more than one Host is a 400. The control API's Host, Origin and
            // Content-Type checks each rely on one value, so a second of those is refused too.
            if HTTPRequestParser.singleFields.contains(key), headers[key] != nil {
                return .invalid(status: 400, reason: "repeated \(name) header")
            }
            headers[key] = value
        }
        if headers["transfer-encoding"] != nil {
            return .invalid(status: 501, reason: "transfer codings are not supported; send Content-Length")
        }
        guard contentLengths.count <= 1 else { return .invalid(status: 400, reason: "conflicting Content-Length") }
        var bodyLength = 0
        if let text = contentLengths.first {
            guard !text.isEmpty, text.count <= 18, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let length = Int(text) else {
                return .invalid(status: 400, reason: "malformed Content-Length")
            }
            bodyLength = length
        }
        let bodyStart = headEnd + headerEnd.count
        var path = target
        var query = ""
        if let mark = target.firstIndex(of: "?") {
            path = String(target[..<mark])
            query = String(target[target.index(after: mark)...])
        }
        let request = HTTPRequest(method: method, path: path, query: query, headers: headers, version: String(parts[2]))
        return .head(request, bodyStart: bodyStart, bodyLength: bodyLength)
    }

    /// `head` split at CRLF.
    static func lines(_ head: String) -> [String] {
        var result: [String] = []
        var current = ""
        var iterator = head.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = iterator.next()
        while let scalar = pending {
            pending = iterator.next()
            if scalar == "\r", pending == "\n" {
                result.append(current)
                current = ""
                pending = iterator.next()
            } else {
                current.unicodeScalars.append(scalar)
            }
        }
        result.append(current)
        return result
    }

    /// RFC 9110 token characters.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 48...57, 65...90, 97...122: true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"): true
        default: false
        }
    }

    /// The index where `pattern` starts within the first `limit` bytes.
    private static func find(_ pattern: [UInt8], in bytes: Bytes, within limit: Int) -> Int? {
        let end = min(bytes.count, limit) - pattern.count
        guard end >= 0 else { return nil }
        var i = 0
        while i <= end {
            if bytes[i] == pattern[0] && bytes[i + 1] == pattern[1] && bytes[i + 2] == pattern[2] && bytes[i + 3] == pattern[3] {
                return i
            }
            i += 1
        }
        return nil
    }
}
