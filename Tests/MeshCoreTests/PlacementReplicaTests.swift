import Testing
@testable import MeshCore

/// Replicas: the next distinct alive members clockwise on the equal-weight ring of all alive members.
@Suite struct PlacementReplicaTests {
    typealias Facts = PlacementTestFacts

    @Test func replicasAreDistinctAliveMembersOtherThanTheOwnerWhateverTheyCanRun() {
        let members = Facts.members()
        let alive = Set(members.filter(\.isAlive).map(\.name))
        let view = PlacementView(candidates: members)
        let ring = view.ring(for: PlacementQuery(key: "", profile: Facts.profile))
        let runners = Set(ring.names)
        var nonRunners = 0
        for i in 0..<2_000 {
            let placement = view.place(PlacementQuery(key: "t\(i)", profile: Facts.profile, replicaCount: 3), on: ring,
                                       loads: ring.emptyLoads())
            #expect(placement.replicas.count == 3)
            #expect(Set(placement.replicas).count == 3)
            #expect(placement.replicas.allSatisfy { alive.contains($0) && $0 != placement.owner })
            nonRunners += placement.replicas.filter { !runners.contains($0) }.count
        }
        #expect(nonRunners > 0, "members without the profile store replicas too")
    }

    @Test func replicaCountIsClampedAndLimitedByTheMembersThereAre() {
        let members = (1...3).map { PlacementCandidate(name: "n\($0)", slots: ["p": 1]) }
        let view = PlacementView(candidates: members + [PlacementCandidate(name: "gone", isAlive: false)])
        let many = view.place(PlacementQuery(key: "k", profile: "p", replicaCount: 50))
        #expect(many.owner != nil && many.replicas.count == 2)
        #expect(Set(many.replicas + [many.owner!]) == ["n1", "n2", "n3"])
        #expect(view.place(PlacementQuery(key: "k", profile: "p", replicaCount: -4)).replicas.isEmpty)
        let ring = ReplicaRing(candidates: (1...40).map { PlacementCandidate(name: "r\($0)") })
        #expect(ring.replicas(forKeyHash: 7, count: 1_000, excluding: nil).count == PlacementLimits.replicaCountMax)
    }

    @Test func withNoOwnerTheTaskStillHasReplicas() {
        let members = (1...4).map { PlacementCandidate(name: "n\($0)") }
        let placement = PlacementView(candidates: members).place(PlacementQuery(key: "k", profile: "p", replicaCount: 2))
        #expect(placement.owner == nil)
        #expect(placement.replicas.count == 2)
        #expect(placement.skipped.map(\.reason) == Array(repeating: .lacksProfile("p"), count: 4))
    }

    @Test func theSameKeyGetsTheSameReplicasAndTheyDoNotDependOnLoad() {
        let members = Facts.members()
        let view = PlacementView(candidates: Facts.shuffled(members, seed: 3))
        let query = PlacementQuery(key: "affinity:report", profile: Facts.profile, replicaCount: 2)
        let idle = view.place(query)
        let loaded = view.place(query, assigned: Facts.assigned(members))
        #expect(idle.replicas == PlacementView(candidates: members).place(query).replicas)
        if idle.owner == loaded.owner { #expect(idle.replicas == loaded.replicas) }
    }
}

/// The JSON shape `mesh place --json` prints.
@Suite struct PlacementJSONTests {
    @Test func aPlacementPrintsOwnerReplicasAndSkippedWithReasonWordAndDetail() {
        let placement = Placement(owner: "a", replicas: ["b", "c"], skipped: [
            PlacementSkip(name: "d", reason: .lacksTag("gpu")), PlacementSkip(name: "e", reason: .atLoadBound(assigned: 4, bound: 4)),
        ])
        #expect(placement.json.serialized() == #"{"owner":"a","replicas":["b","c"],"skipped":[{"name":"d","reason":"lacksTag","detail":"lacks tag gpu"},{"name":"e","reason":"full","detail":"full (4 of 4 assigned)"}]}"#)
        #expect(Placement(owner: nil, replicas: []).json.serialized() == #"{"owner":null,"replicas":[],"skipped":[]}"#)
    }
}
