import Dispatch
import MeshCore

/// What the shell keeps for the operator commands: the event log `mesh monitor` reads, the last
/// status of each member (to tell a join from a refutation), and the long polls waiting for events.
struct OperatorState {
    /// Long polls on `/v1/events` open at once; more are answered 503 at once. Half the control
    /// API's connections per source (8), so monitors on the operator's machine never keep
    /// `mesh status` out: a waiting long poll has sent its request and cannot be evicted.
    static let eventWaitersMax = 4
    /// Longest a long poll waits for an event: below the control API's 5 s connection timeout.
    static let eventWaitMax: Nanoseconds = .seconds(4)
    /// How long a long poll waits unless it asks otherwise.
    static let eventWaitDefault: Nanoseconds = .seconds(2)

    var events = EventLog()
    /// Each member's status as last reported; a member is removed when it is forgotten.
    var lastStatus: [String: MemberStatus] = [:]
    var waiters: [(id: UInt64, cursor: UInt64, respond: (HTTPResponse) -> Void)] = []
    var nextWaiter: UInt64 = 0
}

/// Operator routes: `POST /v1/join`, `POST /v1/force-leave`, `GET /v1/events`.
extension NodeShell {
    /// Answers an operator route; false when `request` is not one.
    func handleOperator(_ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void) -> Bool {
        switch (request.method, request.path) {
        case ("POST", "/v1/join"): join(request, respond: respond)
        case ("POST", "/v1/force-leave"): forceLeave(request, respond: respond)
        case ("GET", "/v1/events"): events(request, respond: respond)
        case ("GET", "/v1/info"): respond(.json(infoJSON()))
        case ("GET", "/v1/rtt"): roundTrip(request, respond: respond)
        case ("GET", "/v1/keys"): respond(.json(keysJSON()))
        case ("POST", "/v1/keys/install"), ("POST", "/v1/keys/use"), ("POST", "/v1/keys/remove"):
            changeKeys(request, respond: respond)
        case (_, "/v1/join"), (_, "/v1/force-leave"), (_, "/v1/keys/install"), (_, "/v1/keys/use"), (_, "/v1/keys/remove"):
            respond(methodNotAllowed(request, allow: "POST"))
        case (_, "/v1/events"), (_, "/v1/info"), (_, "/v1/rtt"), (_, "/v1/keys"):
            respond(methodNotAllowed(request, allow: "GET"))
        default:
            return false
        }
        return true
    }

    func methodNotAllowed(_ request: HTTPRequest, allow: String) -> HTTPResponse {
        var response = HTTPResponse.error(405, "\(request.method) is not allowed on \(request.path)")
        response.headers.append(("Allow", allow))
        return response
    }

    /// `{"addresses": ["IP:PORT", ...]}` → `{"joined": N, "seeds": [{"address", "joined", "error"}]}`.
    private func join(_ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void) {
        guard let list = ControlBody.parse(request.body)?["addresses"]?.array, !list.isEmpty,
              list.count <= ControlLimits.joinSeedsMax else {
            return respond(.error(400, "body must be {\"addresses\": [\"IP:PORT\", ...]} with 1 to \(ControlLimits.joinSeedsMax) addresses"))
        }
        var seeds: [Address] = []
        for entry in list {
            guard let text = entry.string, let address = Address(parsing: text) else {
                return respond(.error(400, "not an IPV4:PORT address: \(entry.serialized())"))
            }
            seeds.append(address)
        }
        control(.join(seeds)) { reply in
            switch reply {
            case .joinOutcome(let attempts):
                let entries = attempts.map { attempt in
                    JSONValue.object([("address", .string(attempt.seed.description)), ("joined", .bool(attempt.failure == nil)),
                                      ("error", attempt.failure.map(JSONValue.string) ?? .null)])
                }
                let joined = attempts.filter { $0.failure == nil }.count
                respond(.json(.object([("joined", .unsigned(UInt64(joined))), ("seeds", .array(entries))])))
            case .refused(let reason): respond(.error(409, reason))
            default: respond(.error(500, "unexpected answer to a join"))
            }
        }
    }

    /// `{"name": NAME}` → `{"forced": NAME}`, or 409 with the reason.
    private func forceLeave(_ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void) {
        guard let name = ControlBody.parse(request.body)?["name"]?.string, MemberName.validationError(name) == nil else {
            return respond(.error(400, "body must be {\"name\": NAME} with a member name (letters, digits, -_., at most 64 bytes)"))
        }
        control(.forceLeave(name)) { reply in
            switch reply {
            case .accepted: respond(.json(.object([("forced", .string(name))])))
            case .refused(let reason): respond(.error(409, reason))
            default: respond(.error(500, "unexpected answer to a force-leave"))
            }
        }
    }

    // MARK: Events

    /// `GET /v1/events?after=N&wait=S`: the events after `N` at once, or the next ones within `S`
    /// seconds (default 2, at most 4), or none. Without `after`, only the cursor of the newest event.
    private func events(_ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void) {
        let query = ControlBody.query(request.query)
        guard let afterText = query["after"] else {
            let newest = operatorState.events.lastSequence
            return respond(eventsResponse(EventLog.Batch(events: [], next: newest, missed: 0)))
        }
        guard let cursor = UInt64(afterText) else { return respond(.error(400, "after must be a whole number")) }
        var wait = OperatorState.eventWaitDefault
        if let text = query["wait"] {
            guard let seconds = Double(text), seconds >= 0, seconds.isFinite else {
                return respond(.error(400, "wait must be a number of seconds"))
            }
            // Clamped before the conversion: a huge number from the client must not trap.
            wait = Nanoseconds(min(seconds, Double(OperatorState.eventWaitMax) / 1e9) * 1e9)
        }
        let batch = operatorState.events.after(cursor)
        if !batch.events.isEmpty || batch.missed > 0 || wait == 0 { return respond(eventsResponse(batch)) }
        guard operatorState.waiters.count < OperatorState.eventWaitersMax else {
            return respond(.error(503, "\(OperatorState.eventWaitersMax) monitors are waiting already"))
        }
        operatorState.nextWaiter += 1
        let id = operatorState.nextWaiter
        operatorState.waiters.append((id, cursor, respond))
        queue.asyncAfter(deadline: .now() + .nanoseconds(Int(wait))) { [self] in
            guard let index = operatorState.waiters.firstIndex(where: { $0.id == id }) else { return }
            let waiter = operatorState.waiters.remove(at: index)
            waiter.respond(eventsResponse(operatorState.events.after(waiter.cursor)))
        }
    }

    private func eventsResponse(_ batch: EventLog.Batch) -> HTTPResponse {
        .json(.object([("events", .array(batch.events.map(\.json))), ("next", .unsigned(batch.next)),
                       ("missed", .unsigned(batch.missed))]))
    }

    /// Records a core event for `mesh monitor` and answers every waiting long poll.
    func recordForMonitor(_ event: MeshEvent) {
        let time = Logger.timestamp()
        switch event {
        case .memberChanged(let name, let status, let incarnation, let address):
            let kind = MonitorEvent.kind(of: status, previous: operatorState.lastStatus[name])
            operatorState.lastStatus[name] = status
            operatorState.events.append(kind: kind, member: name, incarnation: incarnation, address: address.description, time: time)
        case .memberForgotten(let name):
            operatorState.lastStatus.removeValue(forKey: name)
            operatorState.events.append(kind: "forgotten", member: name, incarnation: nil, address: nil, time: time)
        case .refuted(let incarnation):
            operatorState.events.append(kind: "refuted", member: options.name, incarnation: incarnation,
                                        address: options.advertise.description, time: time)
        case .leaveAnnounced(let incarnation):
            operatorState.events.append(kind: "left", member: options.name, incarnation: incarnation,
                                        address: options.advertise.description, time: time)
        case .suspicionRaised, .deathDeclared, .joined, .joinFailed, .duplicateName, .capacityVersionMade, .capacityTaken:
            return
        }
        let waiters = operatorState.waiters
        operatorState.waiters.removeAll()
        for waiter in waiters { waiter.respond(eventsResponse(operatorState.events.after(waiter.cursor))) }
    }
}

/// Request bodies and query strings of the operator routes.
enum ControlBody {
    /// The JSON object in `body`, or nil.
    static func parse(_ body: Bytes) -> JSONValue? {
        guard let value = try? JSONValue.parse(String(decoding: body, as: UTF8.self)), value.object != nil else { return nil }
        return value
    }

    /// `a=1&b=2` as a dictionary (no percent-decoding: every value these routes take is plain ASCII).
    static func query(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            result[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return result
    }
}
