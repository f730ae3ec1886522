import MeshCore

/// The OpenAPI 3.1 document served at `GET /v1/openapi.json`: every route the node serves, with the
/// schemas of bodies and answers, the error answers and the limits. Built once from Swift
/// declarations (`+Paths`, `+TaskPaths`, `+Schemas`) so limits come from the same constants the
/// handlers enforce.
enum OpenAPIDocument {
    /// The document.
    static let json: JSONValue = build()

    /// Refusals any request may get before its route: malformed (400), token (401), Host/Origin
    /// (403), too slow (408), header too large (431), too many connections (503).
    static let commonErrors = [400, 401, 403, 408, 431, 503]
    /// More refusals for a request with a body: too large (413), not `application/json` (415).
    static let bodyErrors = [413, 415]
    /// Every status an error answer may have, each a component response.
    static let errorStatuses = [400, 401, 403, 404, 408, 409, 411, 413, 415, 422, 431, 500, 502, 503]

    static func build() -> JSONValue {
        .object([
            ("openapi", .string("3.1.0")),
            ("info", .object([("title", .string("AgentMesh node API")), ("version", .string(MeshVersion.release)),
                              ("description", .string(description))])),
            ("servers", .array([.object([("url", .string("/"))])])),
            ("security", .array([.object([]), .object([("bearerAuth", .array([]))])])),
            ("tags", .array(["membership", "operator", "tasks", "edges"].map { .object([("name", .string($0))]) })),
            ("paths", .object(paths.map { ($0.0, .object($0.1)) })),
            ("components", .object([
                ("schemas", .object(schemas)),
                ("responses", .object(errorStatuses.map { ("Error\($0)", errorResponse($0)) })),
                ("securitySchemes", .object([("bearerAuth", .object([
                    ("type", .string("http")), ("scheme", .string("bearer")),
                    ("description", .string("Required on every request when the node listens off loopback (`mesh start --http-token-file FILE`, mandatory then); on loopback no token is asked. Send `Authorization: Bearer TOKEN`.")),
                ]))])),
            ])),
        ])
    }

    static let description = """
        Served by every node of the mesh: any node answers for the whole mesh (no hub). Rules for every route:
        `Host` must name the API itself (DNS rebinding is refused, 403); a request carrying a foreign `Origin` \
        is refused (403) whatever its method: web pages may not drive a node (the agent card is the same data \
        as this document and also refused cross-origin); every `POST` must say `Content-Type: application/json` \
        (415; uploads say `application/octet-stream`); off loopback a bearer token is required (401). \
        Limits: request header 8 KiB and 64 fields, body 64 KiB (task submissions \(NodeShell.taskBodyBytesMax) bytes), \
        \(ControlServer.Settings().connectionsMax) connections (\(ControlServer.Settings().connectionsPerSourceMax) per client address), \
        the whole request within 1 s of connecting, event streams \(ControlServer.Settings().eventStreamsMax) \
        (\(ControlServer.Settings().eventStreamsPerSourceMax) per address). Every error answers `{"error": {"code", "message"}}`.
        """

    static func errorResponse(_ status: Int) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("description", .string(HTTPResponse.reasonPhrase(status) + " (`\(HTTPResponse.errorCode(for: status))` unless the route says otherwise).")),
            ("content", .object([("application/json", .object([("schema", OAS.ref("Error"))]))])),
        ]
        if status == 401 { members.append(("headers", .object([("WWW-Authenticate", OAS.header("`Bearer`."))]))) }
        return .object(members)
    }
}
