import MeshCore

/// The described edges of the control API (issue 13): `GET /metrics` (Prometheus text),
/// `GET /v1/capacity` (every member's capacity record) and `GET /v1/openapi.json` (the document
/// describing every route, `OpenAPIDocument`).
extension NodeShell {
    /// Answers one of these routes and returns true; false for another path.
    func handleAPIv1(_ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void) -> Bool {
        let answer: () -> HTTPResponse
        switch request.path {
        case "/metrics": answer = { [self] in metricsResponse() }
        case "/v1/capacity": answer = { [self] in .json(capacityJSON()) }
        case "/v1/openapi.json": answer = { .json(OpenAPIDocument.json) }
        default: return false
        }
        respond(request.method == "GET" ? answer() : methodNotAllowed(request, allow: "GET"))
        return true
    }

    /// `{"self", "members": [{"name", "address", "state", "capacity": {…} | null}]}`, this node first.
    func capacityJSON() -> JSONValue {
        let report = statusReport()
        let members = report.members.map { member in
            JSONValue.object([("name", .string(member.name)), ("address", .string(member.address)),
                              ("state", .string(member.state)), ("capacity", member.capacity?.json ?? .null)])
        }
        return .object([("self", .string(report.selfName)), ("members", .array(members))])
    }
}
