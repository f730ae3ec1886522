import Testing
@testable import MeshCore

/// Ring construction, eligibility, bounds, replicas and skip reasons.
@Suite struct PlacementRingTests {
    typealias Facts = PlacementTestFacts

    @Test func theSameFactsInAnyOrderBuildTheSameRing() {
        let members = Facts.members()
        let reference = PlacementRing(candidates: members, profile: Facts.profile, requiredTags: ["gpu"])
        for seed in 1...5 as ClosedRange<UInt64> {
            let ring = PlacementRing(candidates: Facts.shuffled(members, seed: seed), profile: Facts.profile,
                                     requiredTags: ["gpu"])
            #expect(ring.names == reference.names)
            #expect(ring.weights == reference.weights)
            #expect(ring.points.hashes == reference.points.hashes)
            #expect(ring.points.members == reference.points.members)
            #expect(ring.excluded == reference.excluded)
        }
        #expect(reference.names == reference.names.sorted())
        #expect(reference.points.hashes == reference.points.hashes.sorted())
    }

    @Test func twoViewsOfTheSameFactsAgreeOnOwnersAndReplicasFor10000Keys() {
        let members = Facts.members()
        let a = PlacementView(candidates: members)
        let b = PlacementView(candidates: Facts.shuffled(members, seed: 99))
        let assigned = Facts.assigned(members)
        for tags in [[], ["gpu"]] as [[String]] {
            let query = PlacementQuery(key: "", profile: Facts.profile, requiredTags: tags, replicaCount: 2)
            let ringA = a.ring(for: query), ringB = b.ring(for: query)
            let loadsA = ringA.loads(assigned), loadsB = ringB.loads(assigned)
            var owners = Set<String>()
            for i in 0..<10_000 {
                var keyed = query
                keyed.key = "task-\(i)"
                let placementA = a.place(keyed, on: ringA, loads: loadsA)
                #expect(placementA == b.place(keyed, on: ringB, loads: loadsB))
                #expect(placementA.replicas.count == 2)
                if let owner = placementA.owner { owners.insert(owner) }
            }
            #expect(owners.count > 5, "owners spread over the ring")
        }
    }

    @Test func anIneligibleMemberIsNeverOwner() {
        let members = Facts.members()
        let byName = Dictionary(uniqueKeysWithValues: members.map { ($0.name, $0) })
        for tags in [[], ["gpu"]] as [[String]] {
            let ring = PlacementRing(candidates: members, profile: Facts.profile, requiredTags: tags)
            var loads = ring.emptyLoads()
            for i in 0..<5_000 {
                guard let owner = ring.ownerIndex(forKeyHash: PlacementHash.keyHash("k\(i)"), loads: loads) else {
                    Issue.record("no owner for k\(i)")
                    continue
                }
                let candidate = byName[ring.names[owner]]!
                #expect(candidate.isAlive && candidate.slotCount(Facts.profile) > 0)
                #expect(candidate.freeSlotCount(Facts.profile) > 0)
                #expect(tags.allSatisfy { candidate.carries($0, for: Facts.profile) })
                #expect(ring.explain(key: "k\(i)", loads: loads).owner == ring.names[owner], "explain agrees with the fast path")
                loads.add(member: owner)
            }
        }
    }

    @Test func aRepeatedNameKeepsTheSameCopyWhateverTheOrder() {
        let copies = [PlacementCandidate(name: "twin", isAlive: false, slots: ["p": 9]),
                      PlacementCandidate(name: "twin", slots: ["p": 2]), PlacementCandidate(name: "twin", slots: ["p": 3], busySlots: ["p": 3]),
                      PlacementCandidate(name: "twin", slots: ["p": 3], busySlots: ["p": 1]), PlacementCandidate(name: "other", slots: ["p": 1])]
        for seed in 1...6 as ClosedRange<UInt64> {
            let ring = PlacementRing(candidates: Facts.shuffled(copies, seed: seed), profile: "p")
            #expect(ring.names == ["other", "twin"] && ring.weights == [1, 3] && ring.freeSlots == [1, 2])
            let replicas = ReplicaRing(candidates: Facts.shuffled(copies, seed: seed))
            #expect(replicas.names == ["other", "twin"] && replicas.contains("twin") && !replicas.contains("tw"))
        }
    }

    @Test func excludedMembersAreListedWithWhy() {
        let members = [
            PlacementCandidate(name: "dead", isAlive: false, slots: ["p": 2], tags: ["gpu"]),
            PlacementCandidate(name: "noprofile", slots: ["other": 2], tags: ["gpu"]),
            PlacementCandidate(name: "zero", slots: ["p": 0], tags: ["gpu"]),
            PlacementCandidate(name: "notag", slots: ["p": 2]),
            PlacementCandidate(name: "profiletag", slots: ["p": 1], profileTags: ["p": ["gpu"]]),
            PlacementCandidate(name: "ok", slots: ["p": 1], tags: ["gpu"]),
        ]
        let ring = PlacementRing(candidates: members, profile: "p", requiredTags: ["gpu"])
        #expect(ring.names == ["ok", "profiletag"])
        #expect(ring.excluded == [
            PlacementSkip(name: "dead", reason: .notAlive), PlacementSkip(name: "noprofile", reason: .lacksProfile("p")),
            PlacementSkip(name: "notag", reason: .lacksTag("gpu")), PlacementSkip(name: "zero", reason: .lacksProfile("p")),
        ])
        #expect(ring.excluded.map(\.reason.code) == ["notAlive", "lacksProfile", "lacksTag", "lacksProfile"])
    }

    @Test func theLoadBoundIsTheCeilingOfOnePointTwoFiveTimesTheFairShare() {
        // (weight, W, m, slack‰) → ⌈(1000+slack)·m·w / (1000·W)⌉, at least 1.
        let cases: [(Int, Int, Int, Int, Int)] = [
            (1, 1, 1, 250, 2), (1, 3, 1, 250, 1), (1, 3, 300, 250, 125), (1, 3, 301, 250, 126),
            (4, 10, 100, 250, 50), (1, 16, 16, 0, 1), (16, 17, 1_000, 250, 1_177), (0, 10, 100, 250, 1),
            (5, 0, 100, 250, 0), (1, 1, .max, 250, .max), (3, 7, 1_000, -5, 429),
        ]
        for (weight, total, tasks, slack, expected) in cases {
            #expect(PlacementRing.bound(weight: weight, totalWeight: total, taskCount: tasks, slackPermille: slack) == expected,
                    "bound(w: \(weight), W: \(total), m: \(tasks), ε‰: \(slack))")
        }
    }

    @Test func aFullOwnerPassesTheKeyClockwiseAndIsListedAsFull() {
        let members = (1...4).map { PlacementCandidate(name: "n\($0)", slots: ["p": 1]) }
        let ring = PlacementRing(candidates: members, profile: "p")
        let bare = ring.owner(forKey: "affinity-7", loads: nil)!
        #expect(ring.owner(forKey: "affinity-7", loads: ring.emptyLoads()) == bare, "same key, same owner")
        let full = ring.loads([bare: 3, "elsewhere": 100])
        let (owner, skipped) = ring.explain(key: "affinity-7", loads: full)
        #expect(owner != nil && owner != bare)
        #expect(owner == ring.owner(forKey: "affinity-7", loads: full))
        #expect(skipped == [PlacementSkip(name: bare, reason: .atLoadBound(assigned: 3, bound: 2))])
        #expect(skipped[0].reason.code == "full" && skipped[0].reason.description == "full (3 of 2 assigned)")
    }

    @Test func aMemberWithEverySlotBusyIsFullAndWhenAllAreThereIsNoOwner() {
        let members = (1...3).map { PlacementCandidate(name: "n\($0)", slots: ["p": 2], busySlots: ["p": $0 == 2 ? 1 : 2]) }
        let ring = PlacementRing(candidates: members, profile: "p")
        for i in 0..<200 {
            #expect(ring.owner(forKey: "k\(i)", loads: ring.emptyLoads()) == "n2")
        }
        let allBusy = members.map { var m = $0; m.busySlots["p"] = 9; return m }
        let busyRing = PlacementRing(candidates: allBusy, profile: "p")
        let (owner, skipped) = busyRing.explain(key: "k", loads: busyRing.emptyLoads())
        #expect(owner == nil)
        #expect(Set(skipped.map(\.name)) == ["n1", "n2", "n3"] && skipped.allSatisfy { $0.reason == .noFreeSlots })
    }

    @Test func freeSlotsUpdateInPlaceWithoutMovingPoints() {
        var ring = PlacementRing(candidates: (1...3).map { PlacementCandidate(name: "n\($0)", slots: ["p": 2]) }, profile: "p")
        let before = ring.points.hashes
        let owner = ring.owner(forKey: "k", loads: ring.emptyLoads())!
        let known = ring.setFreeSlots(0, for: owner)
        let stranger = ring.setFreeSlots(1, for: "stranger")
        #expect(known && !stranger)
        #expect(ring.owner(forKey: "k", loads: ring.emptyLoads()) != owner)
        ring.setFreeSlots(-3, for: owner)
        #expect(ring.freeSlots[ring.index(of: owner)!] == 0)
        ring.setFreeSlots(2, for: owner)
        #expect(ring.owner(forKey: "k", loads: ring.emptyLoads()) == owner)
        #expect(ring.points.hashes == before)
    }

    @Test func hostileSlotAndLoadNumbersAreClampedNotTrusted() {
        let members = [PlacementCandidate(name: "huge", slots: ["p": .max], busySlots: ["p": .min]),
                       PlacementCandidate(name: "negative", slots: ["p": -5]),
                       PlacementCandidate(name: "one", slots: ["p": 1], busySlots: ["p": .max])]
        let ring = PlacementRing(candidates: members, profile: "p")
        #expect(ring.names == ["huge", "one"])
        #expect(ring.weights == [PlacementLimits.slotsMax, 1])
        #expect(ring.freeSlots == [PlacementLimits.slotsMax, 0])
        var loads = ring.loads(["huge": .max, "one": .min])
        #expect(loads.assigned == [PlacementLimits.assignedMax, 0])
        loads.add(member: 0, count: .max)
        #expect(loads.assigned[0] == PlacementLimits.assignedMax)
        #expect(ring.owner(forKey: "k", loads: loads) == "huge", "huge holds every task, its bound is 1.25 × that; one has no free slot")
    }

    @Test func anEmptyRingHasNoOwner() {
        let ring = PlacementRing(candidates: [PlacementCandidate(name: "a", isAlive: false, slots: ["p": 1])], profile: "p")
        #expect(ring.memberCount == 0 && ring.pointCount == 0)
        #expect(ring.owner(forKey: "k", loads: nil) == nil)
        #expect(ring.owner(forKey: "k", loads: ring.emptyLoads()) == nil)
        #expect(PlacementRing(candidates: [], profile: "p").explain(key: "k", loads: PlacementLoads(memberCount: 0)).owner == nil)
    }
}

/// The ring's radix sort against the standard library's sort.
@Suite struct RingPointsSortTests {
    @Test func radixSortOrdersByHashThenKeepsInputOrderForEqualHashes() {
        var generator = SeededGenerator(seed: 5)
        for count in [0, 1, 2, 3, 100, 5_000] {
            // Few distinct high bits and repeated values exercise skipped passes and ties.
            var keys = (0..<count).map { _ in generator.next() >> UInt64(generator.below(64)) }
            keys += keys.prefix(count / 10)
            var values = (0..<keys.count).map { UInt32($0) }
            let expected = zip(keys, values).sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            RingPoints.sort(&keys, carrying: &values)
            #expect(keys == expected.map(\.0))
            #expect(values == expected.map(\.1))
        }
    }

    @Test func pointsPerSlotStayFixedUntilTheCapThenScaleDown() {
        #expect(RingPoints.pointsPerUnit(24, totalWeight: 3, cap: 1_000) == 24)
        #expect(RingPoints.pointsPerUnit(24, totalWeight: 41, cap: 1_000) == 24)
        #expect(RingPoints.pointsPerUnit(24, totalWeight: 42, cap: 1_000) == 23)
        #expect(RingPoints.pointsPerUnit(24, totalWeight: 5_000, cap: 1_000) == 1)
        #expect(RingPoints.pointsPerUnit(0, totalWeight: 5, cap: 1_000) == 1)
        #expect(RingPoints.pointsPerUnit(.max, totalWeight: 5, cap: 1_000) == 200)
    }
}

/// The walk past many full members (beyond the point-by-point steps) finds the same owner.
@Suite struct PlacementLongWalkTests {
    @Test func withAllButOneMemberFullTheWalkFindsItFromEveryKey() {
        let members = (0..<200).map { PlacementCandidate(name: "m\($0)", slots: ["p": 2], busySlots: ["p": $0 == 137 ? 0 : 2]) }
        let ring = PlacementRing(candidates: members, profile: "p")
        for i in 0..<500 {
            #expect(ring.owner(forKey: "k\(i)", loads: ring.emptyLoads()) == "m137")
            #expect(ring.explain(key: "k\(i)", loads: ring.emptyLoads()).owner == "m137")
        }
        var allBusy = ring
        allBusy.setFreeSlots(0, for: "m137")
        #expect(allBusy.owner(forKey: "k", loads: allBusy.emptyLoads()) == nil)
    }
}
