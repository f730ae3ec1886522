import Foundation
import MeshCore

extension Scenario {
    /// Keys allowed at the top level of a scenario file.
    static let topLevelKeys = ["description", "seed", "nodes", "preset", "lifeguard", "authenticated", "start", "link",
                               "durationSeconds", "convergenceBoundSeconds", "events", "crashes", "updates", "settings", "layers", "expect", "disk", "diskWorkload", "nextVersion",
                               "loadChanges", "capacity", "previousVersion", "tasks", "sites", "siteLinks"]

    /// The scenario in the file at `path`, named after the file; `seed` replaces the file's seed
    /// (the generated faults follow it too).
    public static func load(path: String, seed: UInt64? = nil) throws -> Scenario {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ScenarioError(description: "cannot read scenario file '\(path)'")
        }
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return try parse(data, name: name, seed: seed)
    }

    /// The scenario written in `data` (UTF-8 JSON); errors name the key path and what is wrong.
    public static func parse(_ data: Data, name: String, seed: UInt64? = nil) throws -> Scenario {
        guard let text = String(validating: Array(data), as: UTF8.self) else {
            throw ScenarioError(description: "\(name): not UTF-8 text")
        }
        return try parse(text, name: name, seed: seed)
    }

    /// The scenario written in `text`. The JSON must be strict (RFC 8259): a trailing comma, a
    /// repeated key or a comment is an error with its line and column. So is every other mistake:
    /// each message starts with the key path it is about, which names the place in the text.
    public static func parse(_ text: String, name: String, seed: UInt64? = nil) throws -> Scenario {
        let document: JSONDocument
        do { document = try JSONDocument(parsing: text) } catch {
            throw ScenarioError(description: "\(name): not valid JSON (\(error.description))")
        }
        do {
            return try parse(document.root, name: name, seed: seed)
        } catch let error as ScenarioError {
            throw error.located(in: document, name: name)
        }
    }

    private static func parse(_ root: JSONValue, name: String, seed: UInt64?) throws -> Scenario {
        guard let members = root.object else {
            throw ScenarioError(description: "\(name): the top level must be an object")
        }
        let reader = JSONReader(members, path: name)
        try reader.rejectUnknown(topLevelKeys)
        var scenario = try parseBasics(reader, name: name, seed: seed)
        scenario.layers = try parseLayers(reader, name: name)
        scenario.disk = try parseDiskModel(reader.object("disk"))
        scenario.diskWorkload = try parseDiskWorkload(reader.object("diskWorkload"), layers: scenario.layers, name: name)
        scenario.tasks = try parseTaskWorkload(reader.object("tasks"), layers: scenario.layers, nodes: scenario.nodes, name: name)
        scenario.nextVersion = try parseNextVersion(reader.object("nextVersion"), nodes: scenario.nodes)
        scenario.capacity = try parseCapacity(reader, nodes: scenario.nodes)
        try scenario.parseSites(reader)
        try scenario.parseTimeline(reader)
        if let expect = try reader.object("expect") { scenario.promises = try scenario.parsePromises(expect) }
        return scenario
    }

    /// Everything but the timeline.
    static func parseBasics(_ reader: JSONReader, name: String, seed override: UInt64?) throws -> Scenario {
        let nodes = try reader.int("nodes", range: 1...20_000)
        let presetName = try reader.string("preset", default: MembershipSettings.Preset.standard.rawValue)
        guard let preset = MembershipSettings.Preset(rawValue: presetName) else {
            throw ScenarioError(description: "\(name): preset '\(presetName)' is not one of \(MembershipSettings.Preset.names)")
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
        let link = try parseLink(reader.object("link"), name: name)
        let duration = Nanoseconds.seconds(fraction: try reader.double("durationSeconds", range: 1...1_000_000))
        let seed = try override ?? UInt64(reader.int("seed", default: 1, range: 0...Int.max))
        return Scenario(
            name: name, seed: seed, nodes: nodes, preset: preset, settings: settings,
            authenticated: try reader.bool("authenticated", default: true), convergedStart: start == "converged",
            link: link, duration: duration,
            convergenceBound: Nanoseconds.seconds(fraction: try reader.double("convergenceBoundSeconds", default: 60, range: 1...100_000)),
            timeline: [], description: try reader.string("description", default: ""))
    }

    /// `["membership", …]`: each layer once, membership among them (every node runs it).
    static func parseLayers(_ reader: JSONReader, name: String) throws -> [Layer] {
        guard reader.has("layers") else { return [.membership] }
        var layers: [Layer] = []
        for value in try reader.array("layers") {
            let known = Layer.allCases.map(\.rawValue).joined(separator: ", ")
            guard let text = value.string, let layer = Layer(rawValue: text) else {
                throw ScenarioError(description: "\(name).layers: \(value.serialized()) is not one of \(known)")
            }
            guard !layers.contains(layer) else { throw ScenarioError(description: "\(name).layers: '\(text)' is listed twice") }
            layers.append(layer)
        }
        guard layers.contains(.membership) else {
            throw ScenarioError(description: "\(name).layers: must include 'membership' (every node runs it)")
        }
        return [.membership] + layers.filter { $0 != .membership }
    }

    static func parseLink(_ reader: JSONReader?, name: String) throws -> Link {
        var link = Link()
        guard let l = reader else { return link }
        try l.rejectUnknown(["delayMs", "jitterMs", "loss", "duplicate", "bandwidthMbps", "connectMs"])
        link.delay = Nanoseconds.seconds(fraction: try l.double("delayMs", default: 1, range: 0...10_000) / 1000)
        link.jitter = Nanoseconds.seconds(fraction: try l.double("jitterMs", default: 0.5, range: 0...10_000) / 1000)
        link.loss = try l.double("loss", default: 0, range: 0...1)
        link.duplicate = try l.double("duplicate", default: 0, range: 0...1)
        link.streamBytesPerSecond = Int64(try l.double("bandwidthMbps", default: 1_000, range: 0.01...1_000_000) * 125_000)
        link.streamConnectOverhead = Nanoseconds.seconds(fraction: try l.double("connectMs", default: 0.1, range: 0...10_000) / 1000)
        guard link.jitter <= link.delay else {
            throw ScenarioError(description: "\(name).link: jitterMs must not exceed delayMs")
        }
        return link
    }

    /// The events written in the file, then the generated ones (from the seed), sorted by time
    /// (ties keep the order written).
    mutating func parseTimeline(_ reader: JSONReader) throws {
        for (i, entry) in try reader.array("events").enumerated() {
            guard let fields = entry.object else {
                throw ScenarioError(description: "\(name).events[\(i)]: must be an object")
            }
            let e = JSONReader(fields, path: "\(name).events[\(i)]")
            timeline.append(try Scenario.parseEvent(e, nodes: nodes))
        }
        var generator = SeededGenerator(seed: seed ^ 0x5CE7_A210)
        if let crashes = try reader.object("crashes") {
            try generateCrashes(crashes, using: &generator)
        }
        if let updates = try reader.object("updates") {
            try generateUpdates(updates, using: &generator)
        }
        for action in timeline where action.at > duration {
            throw ScenarioError(description: "\(name): an event at \(Double(action.at) / 1e9) s is after durationSeconds")
        }
        timeline = timeline.enumerated()
            .sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
    }
}
