import MeshCore
@testable import MeshRuntime
import Testing

/// The Host, Origin and Content-Type rules as a table, no sockets.
@Suite("Control request policy: accepted Host values and JSON media types")
struct ControlRequestPolicyTests {
    static func policy(_ listening: String) -> ControlRequestPolicy {
        ControlRequestPolicy(listening: SocketEndpoint(parsing: listening)!, token: nil)
    }

    @Test("bound to loopback: the address itself and the loopback names, with the port")
    func loopback() {
        let hosts = Self.policy("127.0.0.1:7947").acceptedHosts(arrivedAt: SocketEndpoint(parsing: "127.0.0.1:7947"))
        #expect(hosts == ["127.0.0.1:7947", "localhost:7947", "[::1]:7947"])
        let v6 = Self.policy("[::1]:7947").acceptedHosts(arrivedAt: SocketEndpoint(parsing: "[::1]:7947"))
        #expect(v6 == ["[::1]:7947", "localhost:7947", "127.0.0.1:7947"])
    }

    @Test("bound everywhere: the address the connection arrived at, never 0.0.0.0 or a loopback name")
    func wildcard() {
        let policy = Self.policy("0.0.0.0:7947")
        #expect(policy.acceptedHosts(arrivedAt: SocketEndpoint(parsing: "10.0.0.5:7947")) == ["10.0.0.5:7947"])
        #expect(policy.acceptedHosts(arrivedAt: nil) == [], "nothing is accepted when the arrival address is unknown")
        let request = HTTPRequest(method: "GET", path: "/v1/status", headers: ["host": "0.0.0.0:7947"])
        #expect(policy.refusal(of: request, arrivedAt: nil)?.0 == .badHost)
    }

    @Test("Sec-Fetch-Site other than same-origin or none is refused like a foreign Origin", arguments: [
        ("cross-site", true), ("same-site", true), ("Cross-Site", true), ("same-origin", false), ("none", false),
    ])
    func secFetchSite(site: String, isRefused: Bool) {
        let request = HTTPRequest(method: "GET", path: "/metrics", headers: ["host": "127.0.0.1:7947", "sec-fetch-site": site])
        let refusal = Self.policy("127.0.0.1:7947").refusal(of: request, arrivedAt: SocketEndpoint(parsing: "127.0.0.1:7947"))
        #expect(refusal?.0 == (isRefused ? .badOrigin : nil))
        #expect(refusal.map { $0.1.status } == (isRefused ? 403 : nil))
    }

    @Test("on port 80 the port may be left out of Host")
    func port80() {
        let hosts = Self.policy("10.0.0.5:80").acceptedHosts(arrivedAt: SocketEndpoint(parsing: "10.0.0.5:80"))
        #expect(hosts == ["10.0.0.5:80", "10.0.0.5"])
    }

    @Test("application/json with any parameters and letter case, nothing else", arguments: [
        ("application/json", true), ("application/json; charset=utf-8", true), (" APPLICATION/JSON ;x=y", true),
        ("application/json-seq", false), ("text/plain", false), ("", false), (";application/json", false),
    ])
    func json(contentType: String, isJSON: Bool) {
        #expect(ControlRequestPolicy.isJSON(contentType) == isJSON)
    }

    @Test("checked in order: Host, then Origin, then token, then Content-Type")
    func order() {
        let policy = ControlRequestPolicy(listening: SocketEndpoint(parsing: "127.0.0.1:7947")!, token: "t")
        let local = SocketEndpoint(parsing: "127.0.0.1:7947")
        func reason(_ headers: [String: String]) -> ControlRejection? {
            policy.refusal(of: HTTPRequest(method: "POST", path: "/v1/leave", headers: headers), arrivedAt: local)?.0
        }
        #expect(reason(["origin": "http://evil.example"]) == .missingHost)
        #expect(reason(["host": "evil.example", "origin": "http://evil.example"]) == .badHost)
        #expect(reason(["host": "localhost:7947", "origin": "http://evil.example"]) == .badOrigin)
        #expect(reason(["host": "localhost:7947", "content-type": "text/plain"]) == .unauthorized)
        #expect(reason(["host": "localhost:7947", "authorization": "Bearer t"]) == .badContentType)
        #expect(reason(["host": "localhost:7947", "authorization": "Bearer t", "content-type": "application/json",
                        "origin": "http://localhost:7947"]) == nil)
    }
}
