import MeshCore

/// What the capacity layer does (scenario keys `"loadChanges"`, `"capacity"`, `"previousVersion"`).
public struct CapacityScenarioSettings: Sendable, Equatable {
    /// Every running node measures a new, different load this often (random phase per node); nil:
    /// loads never change (the idle case).
    public var loadChangeEvery: Nanoseconds?
    /// Capacity gossip timings every node runs.
    public var settings = CapacitySettings()
    /// Nodes that play the previous build (protocol 2): they neither make nor read capacity records.
    public var previousVersionNodes: [Int] = []

    /// Loads never change; default timings; every node on this build.
    public init() {}

    /// The profile and tags simulated node `i` advertises: one profile, `claude`, with 1 to 4 slots,
    /// and the tag `research` on every other node.
    static func localCapacity(node i: Int) -> LocalCapacity {
        LocalCapacity(profiles: [CapacityProfile(name: "claude", slots: 1 + i % 4)], tags: i % 2 == 0 ? ["research"] : [])
    }
}

extension Scenario {
    /// `"loadChanges": {"everyMs": 1000}`, `"capacity": {"versionIntervalMinMs", "bytesPerMemberPerSecond",
    /// "transmitBytes", "refreshMultiplier", "retransmitMultiplier"}` and `"previousVersion": {"nodes": "0-4"}`.
    static func parseCapacity(_ reader: JSONReader, nodes: Int) throws -> CapacityScenarioSettings {
        var result = CapacityScenarioSettings()
        if let load = try reader.object("loadChanges") {
            try load.rejectUnknown(["everyMs"])
            result.loadChangeEvery = .seconds(fraction: try load.double("everyMs", default: 1000, range: 10...3_600_000) / 1000)
        }
        if let c = try reader.object("capacity") {
            try c.rejectUnknown(["versionIntervalMinMs", "bytesPerMemberPerSecond", "transmitBytes", "refreshMultiplier",
                                 "retransmitMultiplier"])
            var s = result.settings
            s.versionIntervalMin = .seconds(fraction: try c.double("versionIntervalMinMs", default: Double(s.versionIntervalMin) / 1e6,
                                                                   range: 1...3_600_000) / 1000)
            s.bytesPerMemberPerSecond = try c.int("bytesPerMemberPerSecond", default: s.bytesPerMemberPerSecond, range: 1...1_000_000)
            s.transmitBytes = try c.int("transmitBytes", default: s.transmitBytes, range: 1...10_000)
            s.refreshMultiplier = try c.int("refreshMultiplier", default: s.refreshMultiplier, range: 1...1000)
            s.retransmitMultiplier = try c.int("retransmitMultiplier", default: s.retransmitMultiplier, range: 1...100)
            result.settings = s
        }
        if let previous = try reader.object("previousVersion") {
            try previous.rejectUnknown(["nodes"])
            guard let set = previous.value("nodes") else { throw previous.fail("nodes", "is required") }
            result.previousVersionNodes = try parseNodeSet(set, nodes: nodes, path: "\(previous.path).nodes")
        }
        return result
    }
}

extension Simulation {
    /// Starts the load changes of `node`'s new life, at a random phase.
    func startLoadChanges(_ node: Int) {
        guard let every = scenario.capacity.loadChangeEvery else { return }
        queue.push(now + random.nanoseconds(0, every), .loadChange(node: node, life: nodes[node].life))
    }

    /// The node measures a new load (almost always a different CPU load, so a change) and plans the
    /// next; loads stop changing when the faults stop (`durationSeconds`).
    func loadChangeDue(_ node: Int, life: Int) {
        guard let every = scenario.capacity.loadChangeEvery, nodes[node].life == life, isRunning(node),
              now < scenario.duration else { return }
        let load = LocalLoad(cpuLoadHundredths: UInt64(random.below(800)), memoryFreeBytes: UInt64(1 + random.below(64)) << 30,
                             diskFreeBytes: UInt64(1 + random.below(1000)) << 30)
        queue.push(now, .coreInput(node: node, life: life, .localLoad(load)))
        queue.push(now + every, .loadChange(node: node, life: life))
    }
}

extension Simulation {
    /// Every capacity-speaking node's first record, as a converged start installs it (incarnation 1,
    /// version 1, no load yet). Every scenario's nodes run capacity gossip (the core ships it); the
    /// capacity layer only measures it and changes loads.
    func convergedCapacityRecords() -> [CapacityRecord] {
        return nodes.indices.filter(speaksCapacity).map { i in
            let local = CapacityScenarioSettings.localCapacity(node: i)
            return CapacityRecord(name: nodes[i].name, incarnation: 1, version: 1, profiles: local.profiles, tags: local.tags)
        }
    }
}

extension Simulation {
    /// How long ago a converged start says each node made its record, at most: uniform up to one
    /// version interval when loads change (the steady state of a busy mesh: every node makes a
    /// version each interval), up to one refresh interval when they do not (an idle mesh's).
    func convergedCapacityPhaseMax() -> Nanoseconds {
        let s = scenario.capacity.settings
        let transmits = s.retransmitMultiplier * MembershipSettings.logScale(members: nodes.count - 1)
        return scenario.capacity.loadChangeEvery == nil
            ? s.refreshInterval(members: nodes.count, transmits: transmits)
            : s.versionInterval(members: nodes.count, transmits: transmits)
    }
}
