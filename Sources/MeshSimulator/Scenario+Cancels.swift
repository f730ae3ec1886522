import MeshCore

/// Cancel requests of the tasks layer (scenario key `"tasks": {"cancels": {…}}`): a share of the
/// accepted tasks is cancelled through a random live node after a drawn delay (so some cancels
/// meet a queued task, some a running one, some race with its completion, some come after it),
/// a share of those twice through two nodes, and a stopped fake agent takes a drawn time to end
/// (the grace of a real one).
public struct TaskCancelSettings: Sendable, Equatable {
    /// Chance that an accepted task gets a cancel.
    public var share: Double = 0.3
    /// The cancel's delay after the acceptance, uniform in this range.
    public var delayMin: Nanoseconds = 0
    public var delayMax: Nanoseconds = .milliseconds(3_000)
    /// Chance that a cancelled task gets a second cancel through another node, 0–50 ms later.
    public var repeatShare: Double = 0.2
    /// How long a fake agent takes to end once told to stop (SIGTERM), uniform in this range.
    public var stopMin: Nanoseconds = .milliseconds(1)
    public var stopMax: Nanoseconds = .milliseconds(600)

    /// The defaults: 30 % of tasks, 0–3 s after acceptance, 20 % twice, agents ending 1–600 ms after the stop.
    public init() {}

    /// `{"share": 0.3, "delayMs": [0, 3000], "repeatShare": 0.2, "stopMs": [1, 600]}`.
    static func parse(_ c: JSONReader) throws -> TaskCancelSettings {
        var settings = TaskCancelSettings()
        try c.rejectUnknown(["share", "delayMs", "repeatShare", "stopMs"])
        settings.share = try c.double("share", default: 0.3, range: 0...1)
        settings.repeatShare = try c.double("repeatShare", default: 0.2, range: 0...1)
        if let range = try c.milliseconds("delayMs", atMost: 86_400_000) { (settings.delayMin, settings.delayMax) = range }
        if let range = try c.milliseconds("stopMs", atMost: 120_000, otherwise: "must be [low, high] milliseconds (at most 120000)") {
            (settings.stopMin, settings.stopMax) = range
        }
        return settings
    }
}
