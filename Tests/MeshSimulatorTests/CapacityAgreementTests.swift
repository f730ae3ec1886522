import Testing
@testable import MeshCore
@testable import MeshSimulator

/// Capacity gossip in the simulator: records converge, every node then places keys the same way,
/// and a node on the previous build keeps full membership beside the new ones.
@Suite struct CapacityAgreementTests {
    static let joining = """
    {"seed": 3, "nodes": 20, "layers": ["membership", "capacity"], "loadChanges": {"everyMs": 1000},
     "link": {"loss": 0.01}, "durationSeconds": 30, "convergenceBoundSeconds": 30,
     "expect": {"capacityMissing": 0, "capacityP99SecondsMax": 1.0, "falseDeadCount": 0}}
    """

    @Test func afterMembershipAndRecordsConvergeEveryNodePlacesTenThousandKeysTheSame() throws {
        let simulation = Simulation(scenario: try Scenario.parse(Self.joining, name: "agreement"))
        let report = simulation.run()
        #expect(report.passed, "\(report.violations) \(report.brokenPromises.map(\.description))")
        let views = simulation.nodes.map { PlacementView(candidates: $0.instance!.membership.placementCandidates) }
        #expect(views.allSatisfy { $0.candidates.count == 20 && $0.candidates.allSatisfy { !$0.slots.isEmpty } },
                "every node holds every node's record")
        for tags in [[String](), ["research"]] {
            let query = PlacementQuery(key: "", profile: "claude", requiredTags: tags)
            let rings = views.map { $0.ring(for: query) }
            let loads = rings.map { $0.loads([:]) }
            var owners: Set<String> = []
            for k in 0..<10_000 {
                var q = query
                q.key = "task-\(k)"
                let first = views[0].place(q, on: rings[0], loads: loads[0])
                owners.insert(first.owner ?? "none")
                for i in 1..<views.count {
                    let other = views[i].place(q, on: rings[i], loads: loads[i])
                    guard other.owner == first.owner && other.replicas == first.replicas else {
                        Issue.record("node \(i) places \(q.key) on \(other.owner ?? "none") \(other.replicas), node 0 on \(first.owner ?? "none") \(first.replicas)")
                        return
                    }
                }
            }
            #expect(!owners.contains("none"))
            #expect(owners.count == (tags.isEmpty ? 20 : 10), "\(owners.count) owners for tags \(tags)")
        }
    }

    @Test func aNodeOnThePreviousBuildKeepsFullMembershipWithTheNewOnes() throws {
        let scenario = """
        {"seed": 4, "nodes": 12, "layers": ["membership", "capacity"], "loadChanges": {"everyMs": 1000},
         "previousVersion": {"nodes": "0-3"},
         "crashes": {"count": 4, "firstSeconds": 15, "gapSeconds": [5, 8], "downSeconds": [15, 20]},
         "durationSeconds": 60, "convergenceBoundSeconds": 30,
         "expect": {"falseSuspectCount": 0, "falseDeadCount": 0, "crashesUndetected": 0, "convergedAfterSecondsMax": 10,
                    "capacityMissing": 0, "unknownMessagesSkippedMin": 100}}
        """
        let simulation = Simulation(scenario: try Scenario.parse(scenario, name: "previous"))
        let report = simulation.run()
        #expect(report.passed, "\(report.violations) \(report.brokenPromises.map(\.description))")
        let old = simulation.nodes[0].instance!
        #expect(old.members.members.filter { $0.status == .alive }.count == 11)
        #expect(old.drops[.malformed] == 0, "no new node sent the old one a push-pull section")
        #expect(old.capacity.entriesInOrder.isEmpty)
        let steady = try #require((4..<12).first { simulation.nodes[$0].life == 0 }, "a new node that never crashed")
        #expect(simulation.nodes[steady].instance!.capacity.entriesInOrder.count == 8, "the 8 new nodes' records only")
    }
}
