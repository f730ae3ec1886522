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

    /// `GET /v1/rtt?to=NAME[&from=NAME]`: the smoothed round trip of this node's direct probes of
    /// `to`. `from` may only name this node: other members' measurements are not gossiped.
    func roundTrip(_ request: HTTPRequest) -> HTTPResponse {
        let query = ControlBody.query(request.query)
        guard let target = query["to"], !target.isEmpty else { return .error(400, "give ?to=NAME") }
        if let from = query["from"], from != core.name {
            return .error(422, "only this node's own round trips are measured here (this is \(core.name)); "
                          + "run mesh rtt \(target) against \(from)'s control API (--http)")
        }
        guard target != core.name else { return .error(422, "\(target) is this node: its round trip to itself is 0") }
        guard let member = core.members[target] else { return .error(404, "no member named '\(target)' (see mesh status)") }
        func ms(_ microseconds: Int32) -> JSONValue { microseconds < 0 ? .null : .number(Double(microseconds) / 1_000) }
        return .json(.object([
            ("from", .string(core.name)), ("to", .string(target)), ("state", .string(member.status.description)),
            ("rttMilliseconds", ms(member.roundTripSmoothedMicroseconds)), ("lastRttMilliseconds", ms(member.roundTripMicroseconds)),
        ]))
    }
}
