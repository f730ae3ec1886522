import MeshCore

/// Why the control server refused a connection or a request. Raw values name the counters in
/// `/v1/health` (`controlRejected` + the capitalized raw value, e.g. `controlRejectedBadHost`).
public enum ControlRejection: String, CaseIterable, Sendable {
    /// The parser refused the bytes (400, 413, 431, 501, 505).
    case malformed
    /// No `Host` header (400).
    case missingHost
    /// A `Host` that is not the control API's own address (403): DNS rebinding.
    case badHost
    /// An `Origin` that is not the control API's own origin, or a `Sec-Fetch-Site` other than
    /// `same-origin`/`none` (403): a cross-site request.
    case badOrigin
    /// Missing or wrong bearer token (401).
    case unauthorized
    /// A `POST` whose `Content-Type` is not `application/json` (415): an HTML form.
    case badContentType
    /// Too many connections and none waiting to evict (503).
    case tooManyConnections
    /// Closed, still waiting for its request, to make room for a newer connection (503).
    case evicted
    /// The request did not fully arrive within the request deadline (408).
    case requestTimeout
    /// A Server-Sent Events stream past the limit on open streams, in all or from one source (503).
    case tooManyStreams

    /// The counter's name in `/v1/health`.
    public var counterName: String { "controlRejected" + rawValue.prefix(1).uppercased() + rawValue.dropFirst() }
}

/// The rules that keep web pages from driving a node through its control API (issue 7). A browser
/// lets any page send requests to `127.0.0.1`; these checks refuse what such a page can send:
///
/// - `Host` must name the API itself: the address it listens on (or, on a connection that arrived at
///   a loopback address, `localhost`, `127.0.0.1` or `[::1]`), with its port. A DNS-rebinding page
///   reaches the API under its own domain name, and says so in `Host`.
/// - An `Origin`, if present, must be the API's own (`http://` + an accepted `Host`). Browsers send
///   `Origin` on every cross-site `POST` and `fetch`; command-line clients send none.
/// - A browser's `Sec-Fetch-Site`, if present, must be `same-origin` or `none` (typed by the user):
///   it catches the cross-site requests that carry no `Origin` (a plain link, an image, a form GET).
/// - Every `POST` must say `Content-Type: application/json` (parameters allowed). An HTML form can
///   only send `text/plain`, `application/x-www-form-urlencoded` or `multipart/form-data` without a
///   CORS preflight, which this API never grants.
///
/// Checked in that order, before the token: a browser-style request gets 403 whatever else it carries.
struct ControlRequestPolicy {
    /// The endpoint the server listens on (with the port the kernel chose).
    let listening: SocketEndpoint
    /// The bearer token every request must carry, or nil.
    let token: String?

    /// Why `request`, which arrived on a connection to `local`, must be refused, with the answer to
    /// send; nil when it may go to the handler.
    func refusal(of request: HTTPRequest, arrivedAt local: SocketEndpoint?) -> (ControlRejection, HTTPResponse)? {
        let hosts = acceptedHosts(arrivedAt: local)
        guard let host = request.headers["host"] else {
            return (.missingHost, .error(400, "missing Host header (HTTP/1.1 requires one)"))
        }
        guard hosts.contains(host.lowercased()) else {
            let expected = hosts.first ?? listening.description
            return (.badHost, .error(403, "Host '\(host)' is not this control API (\(expected)); web pages may not drive a node"))
        }
        if let origin = request.headers["origin"], !hosts.contains(where: { "http://" + $0 == origin.lowercased() }) {
            return (.badOrigin, .error(403, "cross-origin request refused (Origin '\(origin)'); web pages may not drive a node"))
        }
        if let site = request.headers["sec-fetch-site"]?.lowercased(), site != "same-origin", site != "none" {
            return (.badOrigin, .error(403, "cross-site request refused (Sec-Fetch-Site: \(site)); web pages may not drive a node"))
        }
        if let token {
            let expected = Array(("Bearer " + token).utf8)
            let given = Array((request.headers["authorization"] ?? "").utf8)
            guard HMACSHA256.constantTimeEquals(expected, given) else {
                var response = HTTPResponse.error(401, "missing or wrong token (send Authorization: Bearer TOKEN)")
                response.headers.append(("WWW-Authenticate", "Bearer"))
                return (.unauthorized, response)
            }
        }
        if request.method == "POST" && ControlRequestPolicy.rawBodyPaths.contains(request.path) {
            if !ControlRequestPolicy.isMediaType(request.headers["content-type"], "application/octet-stream") {
                return (.badContentType, .error(415, "POST \(request.path) requires Content-Type: application/octet-stream"))
            }
        } else if request.method == "POST" && !ControlRequestPolicy.isJSON(request.headers["content-type"]) {
            return (.badContentType, .error(415, "POST requires Content-Type: application/json"))
        }
        return nil
    }

    /// The `Host` values accepted on a connection to `local`, lowercased, the preferred one first.
    func acceptedHosts(arrivedAt local: SocketEndpoint?) -> [String] {
        var hosts: [String] = []
        func add(_ host: String) {
            let lowered = host.lowercased()
            if !hosts.contains(lowered) { hosts.append(lowered) }
        }
        if let local { add(local.description) }
        if !ControlRequestPolicy.isUnspecified(listening) { add(listening.description) }
        let arrival = local ?? listening
        if arrival.isLoopback {
            for name in ["localhost", "127.0.0.1", "[::1]"] { add("\(name):\(arrival.port)") }
        }
        if arrival.port == 80 {
            for host in hosts where host.hasSuffix(":80") { add(String(host.dropLast(3))) }
        }
        return hosts
    }

    /// True for `application/json`, with any parameters (`; charset=utf-8`), in any letter case.
    static func isJSON(_ contentType: String?) -> Bool { isMediaType(contentType, "application/json") }

    /// True when `contentType` names `mediaType`, with any parameters, in any letter case.
    static func isMediaType(_ contentType: String?, _ mediaType: String) -> Bool {
        guard let contentType else { return false }
        let given = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
        return Text.trimmed(given).lowercased() == mediaType
    }

    /// Paths whose `POST` body is raw bytes (`application/octet-stream`, itself a type no HTML
    /// form can send, so a browser must preflight, and this API grants no preflight).
    static let rawBodyPaths: Set<String> = ["/v1/attachments"]

    /// True for 0.0.0.0 and `::`: listening everywhere, which no client can name in `Host`.
    static func isUnspecified(_ endpoint: SocketEndpoint) -> Bool {
        switch endpoint {
        case .ipv4(let address): address.isUnspecified
        case .ipv6(let address, _): address.allSatisfy { $0 == 0 }
        }
    }
}
