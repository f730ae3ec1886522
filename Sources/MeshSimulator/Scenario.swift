import Foundation
import MeshCore

/// A simulation scenario, read from a JSON file in `simulations/`. See simulations/README.md for
/// every key; unknown keys are an error so a typo never silently changes what a scenario checks.
public struct Scenario: Sendable {
    /// One link model for every pair of nodes: one-way delay with uniform jitter, loss, duplication.
    public struct Link: Sendable, Equatable {
        public var delay: Nanoseconds = .milliseconds(1)
        public var jitter: Nanoseconds = 500_000
        public var loss: Double = 0
        public var duplicate: Double = 0
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
            case .update: nil
            }
        }
    }

    public struct TimedAction: Sendable, Equatable {
        public var at: Nanoseconds
        public var action: Action
    }

    public var name: String
    public var seed: UInt64
    public var nodes: Int
    public var preset: MembershipSettings.Preset
    public var settings: MembershipSettings
    public var authenticated: Bool
    /// `converged` installs full membership at time zero (large meshes); `join` has every node join
    /// through node 0 as it would for real.
    public var convergedStart: Bool
    public var link: Link
    /// Faults stop here; the run then continues until the live nodes converge or the bound passes.
    public var duration: Nanoseconds
    public var convergenceBound: Nanoseconds
    public var timeline: [TimedAction]
    /// Crash–restart pairs the generator added (counted as crashes).
    public var description: String

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
    public var description: String
}

extension Scenario {
    public static func load(path: String) throws -> Scenario {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ScenarioError(description: "cannot read scenario file '\(path)'")
        }
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return try parse(data, name: name)
    }

    public static func parse(_ data: Data, name: String) throws -> Scenario {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw ScenarioError(description: "\(name): not valid JSON (\(error.localizedDescription))")
        }
        guard let root = object as? [String: Any] else {
            throw ScenarioError(description: "\(name): the top level must be an object")
        }
        let reader = JSONReader(root, path: name)
        let known = ["description", "seed", "nodes", "preset", "lifeguard", "authenticated", "start", "link",
                     "durationSeconds", "convergenceBoundSeconds", "events", "crashes", "updates", "settings"]
        try reader.rejectUnknown(known)
        let nodes = try reader.int("nodes", range: 1...20_000)
        let presetName = try reader.string("preset", default: "lan")
        guard let preset = MembershipSettings.Preset(rawValue: presetName) else {
            throw ScenarioError(description: "\(name): preset '\(presetName)' is not one of lan, wan, local, memberlist")
        }
        var settings = MembershipSettings.preset(preset)
        settings.lifeguard = try reader.bool("lifeguard", default: true)
        if let overrides = try reader.object("settings") {
            try applyOverrides(overrides, to: &settings)
        }
        let start = try reader.string("start", default: nodes > 200 ? "converged" : "join")
        guard start == "join" || start == "converged" else {
            throw ScenarioError(description: "\(name).start: must be 'join' or 'converged'")
        }
        var link = Link()
        if let l = try reader.object("link") {
            try l.rejectUnknown(["delayMs", "jitterMs", "loss", "duplicate"])
            link.delay = Nanoseconds.seconds(fraction: try l.double("delayMs", default: 1, range: 0...10_000) / 1000)
            link.jitter = Nanoseconds.seconds(fraction: try l.double("jitterMs", default: 0.5, range: 0...10_000) / 1000)
            link.loss = try l.double("loss", default: 0, range: 0...1)
            link.duplicate = try l.double("duplicate", default: 0, range: 0...1)
            guard link.jitter <= link.delay else {
                throw ScenarioError(description: "\(name).link: jitterMs must not exceed delayMs")
            }
        }
        let duration = Nanoseconds.seconds(fraction: try reader.double("durationSeconds", range: 1...1_000_000))
        let seed = UInt64(try reader.int("seed", default: 1, range: 0...Int.max))
        var scenario = Scenario(
            name: name, seed: seed, nodes: nodes, preset: preset, settings: settings,
            authenticated: try reader.bool("authenticated", default: true), convergedStart: start == "converged",
            link: link, duration: duration,
            convergenceBound: Nanoseconds.seconds(fraction: try reader.double("convergenceBoundSeconds", default: 60, range: 1...100_000)),
            timeline: [], description: try reader.string("description", default: ""))
        for (i, entry) in try reader.array("events").enumerated() {
            guard let fields = entry as? [String: Any] else {
                throw ScenarioError(description: "\(name).events[\(i)]: must be an object")
            }
            let e = JSONReader(fields, path: "\(name).events[\(i)]")
            scenario.timeline.append(try parseEvent(e, nodes: nodes))
        }
        var generator = SeededGenerator(seed: seed ^ 0x5CE7_A210)
        if let crashes = try reader.object("crashes") {
            try scenario.generateCrashes(crashes, using: &generator)
        }
        if let updates = try reader.object("updates") {
            try scenario.generateUpdates(updates, using: &generator)
        }
        for action in scenario.timeline where action.at > scenario.duration {
            throw ScenarioError(description: "\(name): an event at \(Double(action.at) / 1e9) s is after durationSeconds")
        }
        scenario.timeline = scenario.timeline.enumerated()
            .sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
        return scenario
    }

    static func parseEvent(_ e: JSONReader, nodes: Int) throws -> TimedAction {
        let at = Nanoseconds.seconds(fraction: try e.double("at", range: 0...1_000_000))
        let kind = try e.string("action")
        func node() throws -> Int { try e.int("node", range: 0...(nodes - 1)) }
        let action: Action
        switch kind {
        case "crash": try e.rejectUnknown(["at", "action", "node"]); action = .crash(try node())
        case "restart": try e.rejectUnknown(["at", "action", "node"]); action = .restart(try node())
        case "update": try e.rejectUnknown(["at", "action", "node"]); action = .update(try node())
        case "leave": try e.rejectUnknown(["at", "action", "node"]); action = .leave(try node())
        case "pause":
            try e.rejectUnknown(["at", "action", "node", "seconds"])
            action = .pause(try node(), .seconds(fraction: try e.double("seconds", range: 0...100_000)))
        case "heal": try e.rejectUnknown(["at", "action"]); action = .heal
        case "loss":
            try e.rejectUnknown(["at", "action", "loss"])
            action = .setLoss(try e.double("loss", range: 0...1))
        case "partition":
            try e.rejectUnknown(["at", "action", "groups", "oneWay"])
            let groups = try e.array("groups").enumerated().map { (g, value) -> [Int] in
                try parseNodeSet(value, nodes: nodes, path: "\(e.path).groups[\(g)]")
            }
            guard groups.count >= 2 else { throw ScenarioError(description: "\(e.path).groups: needs at least two groups") }
            action = .partition(groups, oneWay: try e.bool("oneWay", default: false))
        case "starve":
            try e.rejectUnknown(["at", "action", "node", "seconds", "lagMs"])
            let lag = try e.array("lagMs")
            guard lag.count == 2, let low = (lag[0] as? NSNumber)?.doubleValue, let high = (lag[1] as? NSNumber)?.doubleValue,
                  low >= 0, high >= low else {
                throw ScenarioError(description: "\(e.path).lagMs: must be [low, high] milliseconds")
            }
            action = .starve(try node(), duration: .seconds(fraction: try e.double("seconds", range: 0...1_000_000)),
                             lagMin: .seconds(fraction: low / 1000), lagMax: .seconds(fraction: high / 1000))
        default:
            throw ScenarioError(description: "\(e.path).action: unknown action '\(kind)'")
        }
        return TimedAction(at: at, action: action)
    }

    /// A list of node indices, or a string "a-b" for a range.
    static func parseNodeSet(_ value: Any, nodes: Int, path: String) throws -> [Int] {
        if let text = value as? String {
            let parts = text.split(separator: "-")
            guard parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]), a <= b, a >= 0, b < nodes else {
                throw ScenarioError(description: "\(path): '\(text)' is not a node range 'a-b' within 0-\(nodes - 1)")
            }
            return Array(a...b)
        }
        guard let list = value as? [Any] else { throw ScenarioError(description: "\(path): must be a list or 'a-b'") }
        return try list.map { item in
            guard let n = (item as? NSNumber)?.intValue, n >= 0, n < nodes else {
                throw ScenarioError(description: "\(path): \(item) is not a node index within 0-\(nodes - 1)")
            }
            return n
        }
    }

    /// `{"count": 300, "firstSeconds": 10, "gapSeconds": [8, 12], "downSeconds": [20, 25]}`: one node at
    /// a time crashes and restarts later, so every crash can be measured on its own. With
    /// `"overlap": true` the next crash comes after the gap alone, so several nodes can be down at
    /// once (churn); `"maxDown"` bounds how many.
    mutating func generateCrashes(_ c: JSONReader, using generator: inout SeededGenerator) throws {
        try c.rejectUnknown(["count", "firstSeconds", "gapSeconds", "downSeconds", "overlap", "maxDown"])
        let count = try c.int("count", range: 0...100_000)
        var t = Nanoseconds.seconds(fraction: try c.double("firstSeconds", default: 10, range: 0...1_000_000))
        let gap = try c.range("gapSeconds")
        let down = try c.range("downSeconds")
        let overlap = try c.bool("overlap", default: false)
        let maxDown = try c.int("maxDown", default: max(1, nodes / 3), range: 1...max(1, nodes - 1))
        var downUntil = Array(repeating: Int64.min, count: nodes)
        var end = t
        for _ in 0..<count {
            var up = (0..<nodes).filter { downUntil[$0] < t }
            if overlap {
                while nodes - up.count >= maxDown {
                    t = downUntil.filter { $0 >= t }.min()! + 1
                    up = (0..<nodes).filter { downUntil[$0] < t }
                }
            }
            let victim = up[generator.below(up.count)]
            let downFor = generator.nanoseconds(down.0, down.1)
            timeline.append(TimedAction(at: t, action: .crash(victim)))
            timeline.append(TimedAction(at: t + downFor, action: .restart(victim)))
            downUntil[victim] = t + downFor
            end = max(end, t + downFor)
            t += (overlap ? 0 : downFor) + generator.nanoseconds(gap.0, gap.1)
        }
        duration = max(duration, end)
    }

    /// `{"count": 100, "firstSeconds": 5, "gapSeconds": [2, 3]}`: a random node announces new metadata.
    mutating func generateUpdates(_ u: JSONReader, using generator: inout SeededGenerator) throws {
        try u.rejectUnknown(["count", "firstSeconds", "gapSeconds"])
        let count = try u.int("count", range: 0...1_000_000)
        var t = Nanoseconds.seconds(fraction: try u.double("firstSeconds", default: 5, range: 0...1_000_000))
        let gap = try u.range("gapSeconds")
        for _ in 0..<count {
            timeline.append(TimedAction(at: t, action: .update(generator.below(nodes))))
            t += generator.nanoseconds(gap.0, gap.1)
        }
        duration = max(duration, t)
    }

    static func applyOverrides(_ o: JSONReader, to s: inout MembershipSettings) throws {
        let ms: [(String, WritableKeyPath<MembershipSettings, Nanoseconds>)] = [
            ("probeIntervalMs", \.probeInterval), ("probeTimeoutMs", \.probeTimeout),
            ("probeDeadlineMs", \.probeDeadline), ("gossipIntervalMs", \.gossipInterval),
            ("pushPullIntervalMs", \.pushPullInterval), ("reconnectIntervalMs", \.reconnectInterval),
            ("deadRetentionMs", \.deadRetention), ("gossipToTheDeadMs", \.gossipToTheDead)]
        let ints: [(String, WritableKeyPath<MembershipSettings, Int>)] = [
            ("indirectChecks", \.indirectChecks), ("gossipFanout", \.gossipFanout),
            ("retransmitMultiplier", \.retransmitMultiplier), ("suspicionConfirmationsExpected", \.suspicionConfirmationsExpected),
            ("healthMultiplierMax", \.healthMultiplierMax)]
        let doubles: [(String, WritableKeyPath<MembershipSettings, Double>)] = [
            ("suspicionMultiplier", \.suspicionMultiplier), ("suspicionMaxMultiplier", \.suspicionMaxMultiplier)]
        let bools: [(String, WritableKeyPath<MembershipSettings, Bool>)] = [
            ("retryDirectPing", \.retryDirectPing), ("confirmationProbes", \.confirmationProbes)]
        try o.rejectUnknown(ms.map(\.0) + ints.map(\.0) + doubles.map(\.0) + bools.map(\.0))
        for (key, path) in ms where o.has(key) {
            s[keyPath: path] = .seconds(fraction: try o.double(key, range: 0...10_000_000) / 1000)
        }
        for (key, path) in ints where o.has(key) { s[keyPath: path] = try o.int(key, range: 0...1_000) }
        for (key, path) in doubles where o.has(key) { s[keyPath: path] = try o.double(key, range: 0...1_000) }
        for (key, path) in bools where o.has(key) { s[keyPath: path] = try o.bool(key, default: false) }
    }
}

/// Typed access to a JSON object with errors that name the key path.
struct JSONReader {
    let object: [String: Any]
    let path: String

    init(_ object: [String: Any], path: String) { self.object = object; self.path = path }

    func has(_ key: String) -> Bool { object[key] != nil }

    func rejectUnknown(_ known: [String]) throws {
        for key in object.keys.sorted() where !known.contains(key) {
            throw ScenarioError(description: "\(path): unknown key '\(key)'")
        }
    }

    func fail(_ key: String, _ what: String) -> ScenarioError {
        ScenarioError(description: "\(path).\(key): \(what)")
    }

    func int(_ key: String, default fallback: Int? = nil, range: ClosedRange<Int>) throws -> Int {
        guard let value = object[key] else {
            guard let fallback else { throw fail(key, "is required") }
            return fallback
        }
        guard let n = value as? NSNumber, n.doubleValue == n.doubleValue.rounded(), range.contains(n.intValue) else {
            throw fail(key, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return n.intValue
    }

    func double(_ key: String, default fallback: Double? = nil, range: ClosedRange<Double>) throws -> Double {
        guard let value = object[key] else {
            guard let fallback else { throw fail(key, "is required") }
            return fallback
        }
        guard let n = value as? NSNumber, range.contains(n.doubleValue) else {
            throw fail(key, "must be a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return n.doubleValue
    }

    func bool(_ key: String, default fallback: Bool) throws -> Bool {
        guard let value = object[key] else { return fallback }
        guard let b = value as? Bool else { throw fail(key, "must be true or false") }
        return b
    }

    func string(_ key: String, default fallback: String? = nil) throws -> String {
        guard let value = object[key] else {
            guard let fallback else { throw fail(key, "is required") }
            return fallback
        }
        guard let s = value as? String else { throw fail(key, "must be a string") }
        return s
    }

    func object(_ key: String) throws -> JSONReader? {
        guard let value = object[key] else { return nil }
        guard let o = value as? [String: Any] else { throw fail(key, "must be an object") }
        return JSONReader(o, path: "\(path).\(key)")
    }

    func array(_ key: String) throws -> [Any] {
        guard let value = object[key] else { return [] }
        guard let a = value as? [Any] else { throw fail(key, "must be a list") }
        return a
    }

    /// `[low, high]` seconds.
    func range(_ key: String) throws -> (Nanoseconds, Nanoseconds) {
        let a = try array(key)
        guard a.count == 2, let low = (a[0] as? NSNumber)?.doubleValue, let high = (a[1] as? NSNumber)?.doubleValue,
              low >= 0, high >= low else {
            throw fail(key, "must be [low, high] seconds")
        }
        return (.seconds(fraction: low), .seconds(fraction: high))
    }
}
