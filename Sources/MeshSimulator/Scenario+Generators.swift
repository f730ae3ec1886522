import MeshCore

/// Timeline entries generated from the scenario's seed.
extension Scenario {
    /// `{"count": 300, "firstSeconds": 10, "gapSeconds": [8, 12], "downSeconds": [20, 25]}`: one node at
    /// a time crashes and restarts later, so every crash can be measured on its own. With
    /// `"overlap": true` the next crash comes after the gap alone, so several nodes can be down at
    /// once (churn); `"maxDown"` bounds how many. `"victims"` (a node list or "a-b") limits who
    /// crashes, as `mesh bench detect` always kills the same node.
    mutating func generateCrashes(_ c: JSONReader, using generator: inout SeededGenerator) throws {
        try c.rejectUnknown(["count", "firstSeconds", "gapSeconds", "downSeconds", "overlap", "maxDown", "victims"])
        var victims = Array(0..<nodes)
        if let value = c.value("victims") {
            victims = try Scenario.parseNodeSet(value, nodes: nodes, path: "\(c.path).victims")
            guard !victims.isEmpty else { throw ScenarioError(description: "\(c.path).victims: names no node") }
        }
        let count = try c.int("count", range: 0...100_000)
        var t = Nanoseconds.seconds(fraction: try c.double("firstSeconds", default: 10, range: 0...1_000_000))
        let gap = try c.range("gapSeconds")
        let down = try c.range("downSeconds")
        let overlap = try c.bool("overlap", default: false)
        let maxDown = try c.int("maxDown", default: max(1, nodes / 3), range: 1...max(1, nodes - 1))
        var downUntil = Array(repeating: Int64.min, count: nodes)
        var end = t
        for _ in 0..<count {
            var up = victims.filter { downUntil[$0] < t }
            if overlap || up.isEmpty {
                while nodes - (0..<nodes).filter({ downUntil[$0] < t }).count >= maxDown || up.isEmpty {
                    t = downUntil.filter { $0 >= t }.min()! + 1
                    up = victims.filter { downUntil[$0] < t }
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
}
