import MeshCore

/// A simulation scenario, read from a JSON file in `simulations/`. See simulations/README.md for
/// every key; unknown keys are an error so a typo never silently changes what a scenario checks.
public struct Scenario: Sendable {
    /// One link model for every pair of nodes: one-way delay with uniform jitter, loss, duplication.
    public struct Link: Sendable, Equatable {
        /// One-way delay of every datagram and stream step.
        public var delay: Nanoseconds = .milliseconds(1)
        /// Uniform jitter around `delay` (it also reorders).
        public var jitter: Nanoseconds = 500_000
        /// Chance that a datagram is lost.
        public var loss: Double = 0
        /// Chance that a datagram arrives twice.
        public var duplicate: Double = 0
        /// Stream bytes per second in each direction of a connection (1 Gbit/s by default): a big
        /// transfer takes longer than a small one.
        public var streamBytesPerSecond: Int64 = 125_000_000
        /// Time to set up a stream beyond its round trip (kernel, accept queue).
        public var streamConnectOverhead: Nanoseconds = 100_000
    }

    /// A fault or an action at one instant.
    public enum Action: Sendable, Equatable {
        case crash(Int)
        case restart(Int)
        case pause(Int, Nanoseconds)
        /// Nodes in different groups cannot reach each other; with `oneWay`, only the first group
        /// cannot reach the others (it still hears them).
        case partition([[Int]], oneWay: Bool)
        case heal
        case setLoss(Double)
        /// The node announces new metadata (a new incarnation): a dissemination sample.
        case update(Int)
        case leave(Int)
        /// Message handling at the node lags `lagMin…lagMax` until `duration` has passed.
        case starve(Int, duration: Nanoseconds, lagMin: Nanoseconds, lagMax: Nanoseconds)
        /// EIO: the node's next sync to complete fails, and its unsynced records are gone.
        case diskError(Int)
        /// The node's disk refuses appends for `duration`.
        case diskFull(Int, Nanoseconds)

        var faultKind: String? {
            switch self {
            case .crash: "crash"
            case .restart: "restart"
            case .pause: "pause"
            case .partition: "partition"
            case .heal: "heal"
            case .setLoss: "loss"
            case .starve: "starve"
            case .leave: "leave"
            case .diskError: "diskError"
            case .diskFull: "diskFull"
            case .update: nil
            }
        }
    }

    /// An action at its instant.
    public struct TimedAction: Sendable, Equatable {
        /// When, from the start of the run.
        public var at: Nanoseconds
        /// What happens.
        public var action: Action
    }

    /// The scenario's name (its file name).
    public var name: String
    /// The seed of the world's generator (and of the generated faults).
    public var seed: UInt64
    /// Mesh size.
    public var nodes: Int
    /// The membership preset.
    public var preset: MembershipSettings.Preset
    /// The membership settings: the preset's, with the scenario's overrides.
    public var settings: MembershipSettings
    /// Every datagram is tagged and checked.
    public var authenticated: Bool
    /// `converged` installs full membership at time zero (large meshes); `join` has every node join
    /// through node 0 as it would for real.
    public var convergedStart: Bool
    /// The link model.
    public var link: Link
    /// Faults stop here; the run then continues until the live nodes converge or the bound passes.
    public var duration: Nanoseconds
    /// Liveness must hold this long after the faults stop.
    public var convergenceBound: Nanoseconds
    /// Every action, by time (ties in the order written).
    public var timeline: [TimedAction]
    /// What the scenario is for, in a sentence or two.
    public var description: String
    /// The layers the nodes run, each with its checkers and measurements (membership first).
    public var layers: [Layer] = [.membership]
    /// What the scenario promises about its report (`"expect"`); every run checks them all.
    public var promises: [Promise] = []
    /// How every node's disk behaves (`"disk"`).
    public var disk = DiskModel()
    /// What the disk workload layer does (`"diskWorkload"`), when the scenario runs it.
    public var diskWorkload = DiskWorkloadSettings()
    /// The nodes that play the next release (`"nextVersion"`); none by default.
    public var nextVersion = NextVersionSettings()
    /// What the tasks layer submits and how its fake agents behave (`"tasks"`).
    public var tasks = TaskWorkloadSettings()
    /// Capacity gossip: load changes, timings, nodes on the previous build.
    public var capacity = CapacityScenarioSettings()
    /// Named groups of nodes with their own links (`"sites"`, `"siteLinks"`); none by default.
    public var sites: [Site] = []
    /// Each node's site index, -1 for none (empty without sites).
    var siteOf: [Int] = []
    /// The link between site a and site b at `a * sites.count + b` (the diagonal: inside a site).
    var siteLinkTable: [Link] = []

    /// The scenario with another preset's timings, keeping its Lifeguard choice.
    public mutating func apply(preset newPreset: MembershipSettings.Preset) {
        let lifeguard = settings.lifeguard
        preset = newPreset
        settings = MembershipSettings.preset(newPreset)
        settings.lifeguard = lifeguard
    }
}

/// A scenario file that cannot be run: the message names the key and what is wrong.
public struct ScenarioError: Error, CustomStringConvertible {
    /// The one-line message: `file.key.path: what is wrong (line L, column C)`.
    public var description: String

    /// This error with the line and column of the value its key path (`name.events[3].node: …`)
    /// names, or of the nearest enclosing value that exists (the object lacking a required key).
    func located(in document: JSONDocument, name: String) -> ScenarioError {
        guard description.hasPrefix(name), let colon = description.range(of: ": ") else { return self }
        let pointer = String(description[description.index(description.startIndex, offsetBy: name.count)..<colon.lowerBound])
        return ScenarioError(description: description + " (\(document.location(of: pointer)))")
    }
}
