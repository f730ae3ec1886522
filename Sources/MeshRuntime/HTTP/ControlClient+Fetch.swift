import MeshCore

/// A whole control API answer with its headers: what the byte routes (task logs, artifacts) need,
/// since their meaning travels in headers (`X-Mesh-Log-Offset`, `X-Mesh-SHA256`) as well as the body.
public struct ControlResponse: Sendable, Equatable {
    /// The HTTP status.
    public var status: Int
    /// The header lines as sent, names as written.
    public var headers: [HeaderField]
    /// The body, de-chunked when it came `Transfer-Encoding: chunked`.
    public var body: Bytes

    /// One header line.
    public struct HeaderField: Sendable, Equatable {
        public var name: String
        public var value: String
    }

    /// The value of the first header named `name` (compared without case), or nil.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// The body as JSON, or nil when it is not JSON.
    public var json: JSONValue? { try? JSONValue.parse(String(decoding: body, as: UTF8.self)) }

    /// True for 2xx.
    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The answer read as a task answer: its error message, code and field in whichever error
    /// shape the node uses.
    public var taskAnswer: TaskAnswer { TaskAnswer(status: status, json: json ?? .null) }
}

extension ControlClient {
    /// Largest head (status line and headers) of an answer `fetch` reads.
    public static let responseHeadBytesMax = 64 * 1024

    /// Sends one request and returns the whole answer, headers included, whatever the status.
    /// Never repeated (unlike `exchange` for a GET): a caller that wants a retry asks again.
    public func fetch(_ method: String, _ path: String, body: Bytes = []) throws(Failure) -> ControlResponse {
        let deadline = SystemClock.monotonicNanoseconds() + timeout
        return try Self.parseWhole(try roundTrip(requestBytes(method, path, body: body, accept: "*/*"), deadline: deadline))
    }

    /// Splits a whole response into status, headers and body (Content-Length, chunked, or
    /// everything after the head). Every length is hostile: a chunk size past the end is an error.
    static func parseWhole(_ raw: Bytes) throws(Failure) -> ControlResponse {
        let separator: [UInt8] = [13, 10, 13, 10]
        let searchEnd = min(raw.count, responseHeadBytesMax) - 4
        guard raw.count >= 12, searchEnd >= 0,
              let headEnd = (0...searchEnd).first(where: { raw[$0] == 13 && Array(raw[$0..<($0 + 4)]) == separator }) else {
            throw .badResponse(raw.isEmpty ? "empty answer" : "no HTTP header")
        }
        let lines = HTTPRequestParser.lines(String(decoding: raw[0..<headEnd], as: UTF8.self))
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            throw .badResponse("bad status line")
        }
        var headers: [ControlResponse.HeaderField] = []
        for line in lines.dropFirst() {
            let pieces = line.split(separator: ":", maxSplits: 1)
            guard pieces.count == 2 else { continue }
            headers.append(.init(name: String(pieces[0]), value: Text.trimmed(pieces[1])))
        }
        var response = ControlResponse(status: status, headers: headers, body: Array(raw[(headEnd + 4)...]))
        if response.header("Transfer-Encoding")?.lowercased().contains("chunked") == true {
            response.body = try dechunk(response.body)
        } else if let text = response.header("Content-Length") {
            guard let length = Int(text), length >= 0 else { throw .badResponse("bad Content-Length '\(text.prefix(40))'") }
            guard response.body.count >= length else { throw .badResponse("answer cut short") }
            response.body = Array(response.body.prefix(length))
        }
        return response
    }

    /// The payload of a chunked body: `SIZE-HEX[;ext]\r\n DATA \r\n` … `0\r\n\r\n`.
    static func dechunk(_ body: Bytes) throws(Failure) -> Bytes {
        var out = Bytes()
        var offset = 0
        while true {
            guard let lineEnd = (offset..<max(offset, body.count - 1)).first(where: { body[$0] == 13 && body[$0 + 1] == 10 }) else {
                throw .badResponse("chunked answer cut short")
            }
            let sizeText = String(decoding: body[offset..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard sizeText.count <= 16, let size = Int(Text.trimmed(sizeText), radix: 16), size >= 0 else {
                throw .badResponse("bad chunk size")
            }
            offset = lineEnd + 2
            if size == 0 { return out }
            guard size <= body.count - offset else { throw .badResponse("chunked answer cut short") }
            out.append(contentsOf: body[offset..<(offset + size)])
            offset += size + 2
        }
    }
}
