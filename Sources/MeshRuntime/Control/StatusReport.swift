import MeshCore

/// One member as `GET /v1/status` reports it.
public struct MemberReport: Equatable, Sendable {
    public var name: String
    public var address: String
    /// `alive`, `suspect`, `dead` or `left`.
    public var state: String
    public var incarnation: UInt64
    /// Seconds since this node last had an ack from the member; null when never (0 for the node itself).
    public var lastHeardSecondsAgo: Double?
    /// Smoothed round trip (SRTT) of direct probes in milliseconds, as the failure detector uses it;
    /// null when unknown (0 for the node itself).
    public var rttMilliseconds: Double?
    /// Seconds since this node saw the member's state change.
    public var stateChangedSecondsAgo: Double?
    /// True for the node answering.
    public var isSelf: Bool
    /// The member's capacity record as this node holds it; null when it has none.
    public var capacity: CapacityReport?
    /// Fingerprint of the primary key the member advertises (hex), or null.
    public var keyFingerprint: String?

    public init(name: String, address: String, state: String, incarnation: UInt64, lastHeardSecondsAgo: Double?,
                rttMilliseconds: Double?, stateChangedSecondsAgo: Double?, isSelf: Bool) {
        self.name = name; self.address = address; self.state = state; self.incarnation = incarnation
        self.lastHeardSecondsAgo = lastHeardSecondsAgo; self.rttMilliseconds = rttMilliseconds
        self.stateChangedSecondsAgo = stateChangedSecondsAgo; self.isSelf = isSelf
    }

    /// Every key is always present; unknown values are `null`.
    public var json: JSONValue {
        .object([
            ("name", .string(name)), ("address", .string(address)), ("state", .string(state)),
            ("incarnation", .unsigned(incarnation)), ("lastHeardSecondsAgo", .optional(lastHeardSecondsAgo)),
            ("rttMilliseconds", .optional(rttMilliseconds)), ("stateChangedSecondsAgo", .optional(stateChangedSecondsAgo)),
            ("isSelf", .bool(isSelf)), ("capacity", capacity?.json ?? .null),
            ("keyFingerprint", keyFingerprint.map(JSONValue.string) ?? .null),
        ])
    }

    public init(json: JSONValue) throws(JSONError) {
        guard let name = json["name"]?.string, let address = json["address"]?.string, let state = json["state"]?.string,
              let incarnation = json["incarnation"]?.unsigned else {
            throw JSONError("a member needs name, address, state and incarnation")
        }
        self.init(name: name, address: address, state: state, incarnation: incarnation,
                  lastHeardSecondsAgo: json["lastHeardSecondsAgo"]?.double, rttMilliseconds: json["rttMilliseconds"]?.double,
                  stateChangedSecondsAgo: json["stateChangedSecondsAgo"]?.double, isSelf: json["isSelf"]?.bool ?? false)
        if let record = json["capacity"], !record.isNull { capacity = try CapacityReport(json: record) }
        keyFingerprint = json["keyFingerprint"]?.string
    }
}

/// The body of `GET /v1/status` and of `mesh status --json`:
/// `{"self": NAME, "incarnation": N, "members": [...], "drops": {"badTag": 2}}`.
public struct StatusReport: Equatable, Sendable {
    /// The answering node's name.
    public var selfName: String
    /// Its current incarnation.
    public var incarnation: UInt64
    /// Every member it knows, itself first, then by name.
    public var members: [MemberReport]
    /// Dropped network input by reason (datagrams and streams together); only non-zero reasons.
    public var drops: [String: UInt64]
    /// False until the node's first exchange with a seed succeeded (true for a node with no seeds).
    public var hasJoined = true
    /// While not joined: the last failed join attempt, with its reason.
    public var lastJoinFailure: String?

    public init(selfName: String, incarnation: UInt64, members: [MemberReport], drops: [String: UInt64]) {
        self.selfName = selfName; self.incarnation = incarnation; self.members = members; self.drops = drops
    }

    /// The member called `name`, if listed.
    public func member(_ name: String) -> MemberReport? { members.first { $0.name == name } }

    /// How many members are in `state`.
    public func count(_ state: String) -> Int { members.filter { $0.state == state }.count }

    public var json: JSONValue {
        .object([
            ("self", .string(selfName)), ("incarnation", .unsigned(incarnation)),
            ("members", .array(members.map(\.json))), ("drops", countersJSON(drops)),
            ("hasJoined", .bool(hasJoined)), ("lastJoinFailure", lastJoinFailure.map(JSONValue.string) ?? .null),
        ])
    }

    public init(json: JSONValue) throws(JSONError) {
        guard let name = json["self"]?.string, let incarnation = json["incarnation"]?.unsigned,
              let members = json["members"]?.array else {
            throw JSONError("a status needs self, incarnation and members")
        }
        var reports: [MemberReport] = []
        for member in members { reports.append(try MemberReport(json: member)) }
        self.init(selfName: name, incarnation: incarnation, members: reports, drops: try readCounters(json["drops"]))
        hasJoined = json["hasJoined"]?.bool ?? true
        lastJoinFailure = json["lastJoinFailure"]?.string
    }
}

/// The body of `GET /v1/health`.
public struct HealthReport: Equatable, Sendable {
    public var selfName: String
    public var incarnation: UInt64
    public var uptimeSeconds: Double
    /// Lifeguard's local health score: 0 is healthy; each point stretches probe timing by one more interval.
    public var healthScore: Int
    public var hasJoined: Bool
    public var isLeaving: Bool
    /// Members by state, the node itself included.
    public var members: [String: UInt64]
    /// All drops by reason (every reason listed, zeros included).
    public var drops: [String: UInt64]
    /// Drops of datagrams (counted by the core) and of stream frames (counted by the shell).
    public var datagramDrops: [String: UInt64]
    public var streamDrops: [String: UInt64]
    /// Traffic and failure counters of the shell.
    public var counters: [String: UInt64]
    /// While not joined: the last failed join attempt, with its reason.
    public var lastJoinFailure: String?
    /// The failure detector's timeouts in force, in milliseconds (`probeInterval`, `probeTimeoutMin`,
    /// `probeTimeoutMax`, `suspicionTimeoutMin`, `suspicionTimeoutMax`, `slowestRoundTrip` once
    /// measured), plus `adaptive` (1 or 0) and `healthMultiplier`.
    public var timeouts: [String: Double]

    public init(selfName: String, incarnation: UInt64, uptimeSeconds: Double, healthScore: Int, hasJoined: Bool,
                isLeaving: Bool, members: [String: UInt64], drops: [String: UInt64], datagramDrops: [String: UInt64],
                streamDrops: [String: UInt64], counters: [String: UInt64], timeouts: [String: Double] = [:]) {
        self.selfName = selfName; self.incarnation = incarnation; self.uptimeSeconds = uptimeSeconds
        self.healthScore = healthScore; self.hasJoined = hasJoined; self.isLeaving = isLeaving; self.members = members
        self.drops = drops; self.datagramDrops = datagramDrops; self.streamDrops = streamDrops; self.counters = counters
        self.timeouts = timeouts
    }

    /// The `timeouts` object for `DetectorTimeouts`.
    public static func timeouts(_ t: DetectorTimeouts) -> [String: Double] {
        func ms(_ n: Nanoseconds) -> Double { Double(n / 1_000) / 1_000 }
        var values = ["adaptive": t.isAdaptive ? 1 : 0, "healthMultiplier": Double(t.healthMultiplier),
                      "probeInterval": ms(t.probeInterval), "probeTimeoutMin": ms(t.probeTimeoutMin),
                      "probeTimeoutMax": ms(t.probeTimeoutMax), "suspicionTimeoutMin": ms(t.suspicionTimeoutMin),
                      "suspicionTimeoutMax": ms(t.suspicionTimeoutMax)]
        if let slowest = t.slowestRoundTrip { values["slowestRoundTrip"] = ms(slowest) }
        return values
    }

    public var json: JSONValue {
        .object([
            ("self", .string(selfName)), ("incarnation", .unsigned(incarnation)),
            ("uptimeSeconds", .number(uptimeSeconds)), ("healthScore", .integer(Int64(healthScore))),
            ("hasJoined", .bool(hasJoined)), ("isLeaving", .bool(isLeaving)), ("members", countersJSON(members)),
            ("drops", countersJSON(drops)), ("datagramDrops", countersJSON(datagramDrops)),
            ("streamDrops", countersJSON(streamDrops)), ("counters", countersJSON(self.counters)),
            ("lastJoinFailure", lastJoinFailure.map(JSONValue.string) ?? .null),
            ("timeoutsMilliseconds", .object(timeouts.sorted { $0.key < $1.key }.map { ($0.key, .number($0.value)) })),
        ])
    }

    public init(json: JSONValue) throws(JSONError) {
        guard let name = json["self"]?.string, let incarnation = json["incarnation"]?.unsigned,
              let uptime = json["uptimeSeconds"]?.double, let score = json["healthScore"]?.integer,
              let joined = json["hasJoined"]?.bool, let leaving = json["isLeaving"]?.bool else {
            throw JSONError("a health report needs self, incarnation, uptimeSeconds, healthScore, hasJoined and isLeaving")
        }
        self.init(selfName: name, incarnation: incarnation, uptimeSeconds: uptime, healthScore: Int(score),
                  hasJoined: joined, isLeaving: leaving, members: try readCounters(json["members"]),
                  drops: try readCounters(json["drops"]), datagramDrops: try readCounters(json["datagramDrops"]),
                  streamDrops: try readCounters(json["streamDrops"]), counters: try readCounters(json["counters"]),
                  timeouts: HealthReport.readTimeouts(json["timeoutsMilliseconds"]))
        lastJoinFailure = json["lastJoinFailure"]?.string
    }
}

/// Counters as a JSON object with sorted keys.
func countersJSON(_ values: [String: UInt64]) -> JSONValue {
    .object(values.sorted { $0.key < $1.key }.map { ($0.key, .unsigned($0.value)) })
}

/// A JSON object of counters; a missing one is empty.
func readCounters(_ json: JSONValue?) throws(JSONError) -> [String: UInt64] {
    guard let json else { return [:] }
    guard let members = json.object else { throw JSONError("counters must be an object") }
    var result: [String: UInt64] = [:]
    for (key, value) in members {
        guard let count = value.unsigned else { throw JSONError("counter '\(key)' must be a whole number") }
        result[key] = count
    }
    return result
}

extension DropCounters {
    /// Every reason with its count, zeros included when `includingZeros`.
    func dictionary(includingZeros: Bool) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for reason in DropReason.allCases where includingZeros || self[reason] > 0 { result[reason.rawValue] = self[reason] }
        return result
    }

    /// Several sets of counters added up, every reason listed.
    static func sum(_ sets: [DropCounters]) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for reason in DropReason.allCases { result[reason.rawValue] = sets.reduce(0) { $0 + $1[reason] } }
        return result
    }
}

extension HealthReport {
    /// The `timeoutsMilliseconds` object; entries that are not numbers are skipped (an older node
    /// sends none).
    static func readTimeouts(_ value: JSONValue?) -> [String: Double] {
        guard let members = value?.object else { return [:] }
        var values: [String: Double] = [:]
        for (key, entry) in members { if let number = entry.double { values[key] = number } }
        return values
    }
}
