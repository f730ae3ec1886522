import MeshCore

/// `GET /v1/info` (this node: identity, versions, settings in force, counters) and `GET /v1/rtt`.
extension NodeShell {
    func infoJSON() -> JSONValue {
        let health = healthReport()
        let drops = health.drops.filter { $0.value > 0 }
        return .object([
            ("name", .string(core.name)), ("address", .string(options.advertise.description)),
            ("bind", .string(options.bind.description)), ("http", .string(control?.endpoint.description ?? "off")),
            ("incarnation", .unsigned(core.incarnation)), ("state", .string(core.selfMember.status.description)),
            ("release", .string(MeshVersion.release)),
            ("protocol", .object([("minimum", .unsigned(UInt64(MeshVersion.protocolMinimum))),
                                  ("current", .unsigned(UInt64(MeshVersion.protocolCurrent)))])),
            ("cluster", .string(options.cluster)), ("preset", .string(options.presetName)),
            ("settings", settingsJSON(core.settings)),
            ("uptimeSeconds", .number((health.uptimeSeconds * 10).rounded() / 10)),
            ("hasJoined", .bool(core.hasJoined)), ("healthScore", .integer(Int64(core.health.score))),
            ("dataDirectory", options.dataDirectory.map { JSONValue.string($0.path) } ?? .null),
            ("keyFile", options.keyFile.map(JSONValue.string) ?? .null),
            ("authenticated", .bool(core.keyring != nil)),
            ("keyFingerprint", core.keyring.map { JSONValue.string($0.primary.fingerprintText) } ?? .null),
            ("keys", .unsigned(UInt64(core.keyring?.keys.count ?? 0))),
            ("members", countersJSON(health.members)), ("counters", countersJSON(health.counters)),
            ("drops", countersJSON(drops)),
        ])
    }

    private func settingsJSON(_ s: MembershipSettings) -> JSONValue {
        func ms(_ value: Nanoseconds) -> JSONValue { .number(Double(value) / 1e6) }
        return .object([
            ("probeIntervalMs", ms(s.probeInterval)), ("probeTimeoutMs", ms(s.probeTimeout)),
            ("probeDeadlineMs", ms(s.probeDeadline)), ("indirectChecks", .integer(Int64(s.indirectChecks))),
            ("suspicionMultiplier", .number(s.suspicionMultiplier)), ("suspicionMaxMultiplier", .number(s.suspicionMaxMultiplier)),
            ("gossipIntervalMs", ms(s.gossipInterval)), ("gossipFanout", .integer(Int64(s.gossipFanout))),
            ("pushPullIntervalMs", ms(s.pushPullInterval)), ("reconnectIntervalMs", ms(s.reconnectInterval)),
            ("deadRetentionMs", ms(s.deadRetention)), ("streamTimeoutMs", ms(s.streamTimeout)),
            ("lifeguard", .bool(s.lifeguard)), ("membersMax", .integer(Int64(s.membersMax))),
        ])
    }

    /// `GET /v1/rtt?to=NAME[&from=NAME]`: the smoothed round trip of `from`'s direct probes of `to`
    /// (`from` defaults to this node; another member is asked over a stream).
    func roundTrip(_ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void) {
        let query = ControlBody.query(request.query)
        guard let target = query["to"], MemberName.validationError(target) == nil else { return respond(.error(400, "give ?to=NAME")) }
        let from = query["from"] ?? core.name
        guard MemberName.validationError(from) == nil else { return respond(.error(400, "from must be a member name")) }
        if from == target { return respond(.error(422, "\(target) to itself: a round trip needs two members")) }
        if from == core.name && core.members[target] == nil {
            return respond(.error(404, "no member named '\(target)' (see mesh status)"))
        }
        control(.roundTrip(via: from, to: target)) { [self] reply in
            switch reply {
            case .roundTrip(let answer):
                func ms(_ microseconds: Int32?) -> JSONValue { microseconds.map { .number(Double($0) / 1_000) } ?? .null }
                let state = from == core.name ? core.members[target]?.status.description : nil
                respond(.json(.object([
                    ("from", .string(from)), ("to", .string(target)), ("state", state.map(JSONValue.string) ?? .null),
                    ("rttMilliseconds", ms(answer.smoothedMicroseconds)), ("lastRttMilliseconds", ms(answer.lastMicroseconds)),
                ])))
            case .refused(let reason): respond(.error(409, reason))
            default: respond(.error(500, "unexpected answer to a round-trip question"))
            }
        }
    }
}
