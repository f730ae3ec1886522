import MeshCore

/// What the tasks layer does (scenario key `"tasks"`): submissions through random live nodes,
/// fake agents that run for a drawn time and succeed or fail by the seed.
public struct TaskWorkloadSettings: Sendable, Equatable {
    /// Submissions per second over the whole mesh (each gap uniform in 0.5–1.5 × the mean).
    public var rate: Double = 20
    /// Submissions stop this long after the start (default: when the faults stop).
    public var untilSeconds: Double?
    /// Profile name → slots, on every node that runs profiles.
    public var profiles: [String: Int] = ["shell": 2]
    /// The nodes that run profiles (nil: all); the others only route and store tasks.
    public var profileNodes: [Int]?
    /// How long one fake agent run lasts, uniform in this range.
    public var durationMin: Nanoseconds = .milliseconds(500)
    public var durationMax: Nanoseconds = .milliseconds(3_000)
    /// Chance that a run exits non-zero.
    public var failRate: Double = 0.1
    /// Failure attempts of every task.
    public var attempts = 3
    /// Cancel requests racing with the tasks (nil: none).
    public var cancels: TaskCancelSettings?
    /// Every node's `TaskSettings.logCompactionFloor` (nil: the default, 4,096): a low floor makes
    /// a short scenario compact its logs, so crashes meet snapshots.
    public var logCompactionFloor: Int?
    /// Every node's `TaskSettings.logCompactionGrowth` (nil: the default, 2).
    public var logCompactionGrowth: Int?

    /// The defaults: 20 a second, one profile `shell` with 2 slots on every node, 0.5–3 s runs, 10 % fail.
    public init() {}

    /// Profiles of node `i`, in name order.
    func capacity(of i: Int) -> [CapacityProfile] {
        guard profileNodes?.contains(i) ?? true else { return [] }
        return profiles.keys.sorted().map { CapacityProfile(name: $0, slots: profiles[$0]!) }
    }
}

extension Scenario {
    /// `"tasks": {"rate": 20, "untilSeconds": 60, "profiles": {"shell": 2}, "profileNodes": [0, 1],
    /// "durationMs": [500, 3000], "failRate": 0.1, "attempts": 3, "cancels": {…}, "logCompactionFloor": 200,
    /// "logCompactionGrowth": 1}`;
    /// only with the `tasks` layer (`cancels`: `TaskCancelSettings`).
    static func parseTaskWorkload(_ reader: JSONReader?, layers: [Layer], nodes: Int, name: String) throws -> TaskWorkloadSettings {
        var settings = TaskWorkloadSettings()
        guard let t = reader else { return settings }
        guard layers.contains(.tasks) else {
            throw ScenarioError(description: "\(name).tasks: the scenario does not run the tasks layer (add it to 'layers')")
        }
        try t.rejectUnknown(["rate", "untilSeconds", "profiles", "profileNodes", "durationMs", "failRate", "attempts", "cancels",
                             "logCompactionFloor", "logCompactionGrowth"])
        if let c = try t.object("cancels") { settings.cancels = try TaskCancelSettings.parse(c) }
        settings.rate = try t.double("rate", default: 20, range: 0.01...100_000)
        if t.has("untilSeconds") { settings.untilSeconds = try t.double("untilSeconds", range: 0...1_000_000) }
        settings.failRate = try t.double("failRate", default: 0.1, range: 0...1)
        settings.attempts = try t.int("attempts", default: 3, range: 1...Int(TaskLimits.attemptsMax))
        if t.has("logCompactionFloor") { settings.logCompactionFloor = try t.int("logCompactionFloor", range: 0...1_000_000_000) }
        if t.has("logCompactionGrowth") { settings.logCompactionGrowth = try t.int("logCompactionGrowth", range: 0...1_000) }
        if let profiles = try t.object("profiles") {
            settings.profiles = [:]
            for (profile, _) in profiles.members {
                settings.profiles[profile] = try profiles.int(profile, range: 1...CapacityLimits.slotsMax)
            }
        }
        if t.has("profileNodes") {
            settings.profileNodes = try t.array("profileNodes").map { value in
                guard let n = JSONReader.wholeNumber(value), n >= 0, n < nodes else { throw t.fail("profileNodes", "must list node numbers below \(nodes)") }
                return n
            }
        }
        if let range = try t.milliseconds("durationMs", atMost: 86_400_000) { (settings.durationMin, settings.durationMax) = range }
        return settings
    }
}
