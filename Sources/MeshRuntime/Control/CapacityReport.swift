import MeshCore

/// A member's capacity record as `GET /v1/status` reports it (key `capacity` of a member):
/// `{"version", "incarnation", "ageSeconds", "profiles": [{"name", "slots", "busy", "tags"}], "tags",
/// "queueLength", "cpuLoad", "memoryFreeBytes", "diskFreeBytes", "meshVersion", "memberDown"}`.
/// Memory and disk are the lower bounds of their one-byte codes (within about 9 %).
public struct CapacityReport: Equatable, Sendable {
    public var version: UInt64
    public var incarnation: UInt64
    /// Seconds since this node took the record (for itself: since it made it).
    public var ageSeconds: Double
    public var profiles: [CapacityProfile]
    public var tags: [String]
    public var queueLength: UInt64
    /// One-minute load average.
    public var cpuLoad: Double
    public var memoryFreeBytes: UInt64
    public var diskFreeBytes: UInt64
    public var meshVersion: String
    /// The member is dead or left: the record is kept until the member is forgotten.
    public var memberDown: Bool

    /// The report of `entry`, `ageSeconds` old.
    public init(_ entry: CapacityBook.Entry, ageSeconds: Double) {
        let r = entry.record
        version = r.version; incarnation = r.incarnation; self.ageSeconds = ageSeconds
        profiles = r.profiles; tags = r.tags; queueLength = r.queueLength
        cpuLoad = Double(r.cpuLoadHundredths) / 100
        memoryFreeBytes = ByteQuantity.bytes(code: r.memoryFreeCode)
        diskFreeBytes = ByteQuantity.bytes(code: r.diskFreeCode)
        meshVersion = r.meshVersion; memberDown = entry.isMemberDown
    }

    /// Slots over all profiles, and how many are busy.
    public var slotsTotal: Int { profiles.reduce(0) { $0 + $1.slots } }
    public var slotsBusy: Int { profiles.reduce(0) { $0 + $1.busy } }

    public var json: JSONValue {
        .object([
            ("version", .unsigned(version)), ("incarnation", .unsigned(incarnation)), ("ageSeconds", .number(ageSeconds)),
            ("profiles", .array(profiles.map { p in
                .object([("name", .string(p.name)), ("slots", .integer(Int64(p.slots))),
                         ("busy", .integer(Int64(p.busy))), ("tags", .array(p.tags.map { .string($0) }))])
            })),
            ("tags", .array(tags.map { .string($0) })), ("queueLength", .unsigned(queueLength)),
            ("cpuLoad", .number(cpuLoad)), ("memoryFreeBytes", .unsigned(memoryFreeBytes)),
            ("diskFreeBytes", .unsigned(diskFreeBytes)), ("meshVersion", .string(meshVersion)),
            ("memberDown", .bool(memberDown)),
        ])
    }

    public init(json: JSONValue) throws(JSONError) {
        guard let version = json["version"]?.unsigned, let incarnation = json["incarnation"]?.unsigned,
              let age = json["ageSeconds"]?.double, let profiles = json["profiles"]?.array else {
            throw JSONError("a capacity record needs version, incarnation, ageSeconds and profiles")
        }
        self.version = version; self.incarnation = incarnation; ageSeconds = age
        self.profiles = []
        for p in profiles {
            guard let name = p["name"]?.string, let slots = p["slots"]?.integer, let busy = p["busy"]?.integer else {
                throw JSONError("a profile needs name, slots and busy")
            }
            self.profiles.append(CapacityProfile(name: name, slots: Int(clamping: slots), busy: Int(clamping: busy),
                                                 tags: p["tags"]?.array?.compactMap(\.string) ?? []))
        }
        tags = json["tags"]?.array?.compactMap(\.string) ?? []
        queueLength = json["queueLength"]?.unsigned ?? 0
        cpuLoad = json["cpuLoad"]?.double ?? 0
        memoryFreeBytes = json["memoryFreeBytes"]?.unsigned ?? 0
        diskFreeBytes = json["diskFreeBytes"]?.unsigned ?? 0
        meshVersion = json["meshVersion"]?.string ?? ""
        memberDown = json["memberDown"]?.bool ?? false
    }
}
