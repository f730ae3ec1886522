import MeshCore

/// The timeline's events as written in a scenario file.
extension Scenario {
    /// The action called `kind` that names one node and nothing else; nil for any other kind.
    static func nodeAction(_ kind: String, _ node: Int) -> Action? {
        switch kind {
        case "crash": .crash(node)
        case "restart": .restart(node)
        case "update": .update(node)
        case "leave": .leave(node)
        case "diskError": .diskError(node)
        default: nil
        }
    }

    static func parseEvent(_ e: JSONReader, nodes: Int) throws -> TimedAction {
        let at = Nanoseconds.seconds(fraction: try e.double("at", range: 0...1_000_000))
        let kind = try e.string("action")
        func node() throws -> Int { try e.int("node", range: 0...(nodes - 1)) }
        let action: Action
        switch kind {
        case _ where nodeAction(kind, 0) != nil:
            try e.rejectUnknown(["at", "action", "node"])
            action = nodeAction(kind, try node())!
        case "pause", "diskFull":
            try e.rejectUnknown(["at", "action", "node", "seconds"])
            let duration = Nanoseconds.seconds(fraction: try e.double("seconds", range: 0...100_000))
            action = kind == "pause" ? .pause(try node(), duration) : .diskFull(try node(), duration)
        case "heal": try e.rejectUnknown(["at", "action"]); action = .heal
        case "loss":
            try e.rejectUnknown(["at", "action", "loss"])
            action = .setLoss(try e.double("loss", range: 0...1))
        case "partition": action = try parsePartition(e, nodes: nodes)
        case "starve":
            try e.rejectUnknown(["at", "action", "node", "seconds", "lagMs"])
            guard let (low, high) = JSONReader.pair(try e.array("lagMs")) else {
                throw ScenarioError(description: "\(e.path).lagMs: must be [low, high] milliseconds")
            }
            action = .starve(try node(), duration: .seconds(fraction: try e.double("seconds", range: 0...1_000_000)),
                             lagMin: .seconds(fraction: low / 1000), lagMax: .seconds(fraction: high / 1000))
        default:
            throw ScenarioError(description: "\(e.path).action: unknown action '\(kind)'")
        }
        return TimedAction(at: at, action: action)
    }

    static func parsePartition(_ e: JSONReader, nodes: Int) throws -> Action {
        try e.rejectUnknown(["at", "action", "groups", "oneWay"])
        let groups = try e.array("groups").enumerated().map { (g, value) -> [Int] in
            try parseNodeSet(value, nodes: nodes, path: "\(e.path).groups[\(g)]")
        }
        guard groups.count >= 2 else { throw ScenarioError(description: "\(e.path).groups: needs at least two groups") }
        return .partition(groups, oneWay: try e.bool("oneWay", default: false))
    }

    /// A list of node indices, or a string "a-b" for a range.
    static func parseNodeSet(_ value: JSONValue, nodes: Int, path: String) throws -> [Int] {
        if let text = value.string {
            let parts = text.split(separator: "-")
            guard parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]), a <= b, a >= 0, b < nodes else {
                throw ScenarioError(description: "\(path): '\(text)' is not a node range 'a-b' within 0-\(nodes - 1)")
            }
            return Array(a...b)
        }
        guard let list = value.array else { throw ScenarioError(description: "\(path): must be a list or 'a-b'") }
        return try list.map { item in
            guard let n = JSONReader.wholeNumber(item), n >= 0, n < nodes else {
                throw ScenarioError(description: "\(path): \(item.serialized()) is not a node index within 0-\(nodes - 1)")
            }
            return n
        }
    }
}
