import MeshCore
import MeshRuntime
import Testing

@Suite("HTTP request parsing and its limits")
struct HTTPRequestParserTests {
    static let limits = HTTPLimits(headerBytesMax: 100, headerFieldsMax: 3, bodyBytesMax: 10)

    static func parse(_ text: String) -> HTTPParseResult {
        HTTPRequestParser.parse(Array(text.utf8), limits: limits)
    }

    static func status(_ result: HTTPParseResult) -> Int? {
        if case .invalid(let status, _) = result { return status }
        return nil
    }

    @Test("a GET with a query and headers")
    func simpleGet() {
        let text = "GET /v1/status?x=1 HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer t\r\n\r\n"
        guard case .complete(let request, let consumed) = Self.parse(text) else {
            Issue.record("not parsed: \(Self.parse(text))")
            return
        }
        #expect(request.method == "GET" && request.path == "/v1/status" && request.query == "x=1")
        #expect(request.headers["authorization"] == "Bearer t")
        #expect(consumed == text.utf8.count)
    }

    @Test("a POST body arrives in pieces")
    func bodyInPieces() {
        let text = "POST /v1/leave HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
        for cut in 0..<text.utf8.count {
            #expect(HTTPRequestParser.parse(Array(text.utf8.prefix(cut)), limits: Self.limits) == .incomplete, "cut \(cut)")
        }
        guard case .complete(let request, _) = Self.parse(text) else { Issue.record("not parsed"); return }
        #expect(request.body == Array("hello".utf8))
    }

    @Test("the header limit: exactly at it is fine, one byte over is 431")
    func headerLimit() {
        let line = "GET / HTTP/1.1\r\nX: "
        let atLimit = line + String(repeating: "a", count: 100 - line.utf8.count) + "\r\n\r\n"
        guard case .complete = Self.parse(atLimit) else {
            Issue.record("a header exactly at the limit is parsed: \(Self.parse(atLimit))")
            return
        }
        let over = line + String(repeating: "a", count: 101 - line.utf8.count) + "\r\n\r\n"
        #expect(Self.status(Self.parse(over)) == 431)
        #expect(Self.status(Self.parse("GET / HTTP/1.1\r\n" + String(repeating: "b", count: 200))) == 431,
                "no blank line within the limit")
    }

    @Test("the field count and body limits")
    func countAndBodyLimits() {
        #expect(Self.status(Self.parse("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n")) == 431)
        #expect(Self.parse("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n") == .incomplete, "a body at the limit is awaited")
        #expect(Self.status(Self.parse("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n")) == 413)
    }

    @Test("malformed requests", arguments: [
        ("GET /\r\n\r\n", 400),
        ("get / HTTP/1.1\r\n\r\n", 400),
        ("GET v1 HTTP/1.1\r\n\r\n", 400),
        ("GET / HTTP/2.0\r\n\r\n", 505),
        ("GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
        ("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a:1\r\nhost: a:1\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nOrigin: http://a:1\r\nOrigin: http://b:1\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nContent-Type: application/json\r\nContent-Type: text/plain\r\n\r\n", 400),
    ])
    func malformed(text: String, status: Int) {
        #expect(Self.status(Self.parse(text)) == status, "\(text.debugDescription)")
    }
}
