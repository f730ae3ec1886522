import Testing
@testable import MeshCore

/// The task machine's kept tables: ids ordered like their bytes, the owned-task table's order and
/// indexes kept up to date, placement rings kept only while the candidates stay the same.
struct TaskTablesTests {
    static func id(_ n: Int) -> TaskID { TaskID.idempotent(key: "t\(n)") }

    @Test("a task id orders, prints and round-trips exactly like its 16 bytes")
    func idOrderIsByteOrder() {
        let ids = (0..<300).map(Self.id)
        for (a, b) in zip(ids, ids.dropFirst()) {
            #expect((a < b) == a.bytes.lexicographicallyPrecedes(b.bytes))
            #expect((b < a) == b.bytes.lexicographicallyPrecedes(a.bytes))
        }
        let edge = TaskID(bytes: [0xFF] + Array(repeating: 0, count: 14) + [0x01])!
        #expect(edge.bytes == [0xFF] + Array(repeating: 0, count: 14) + [0x01])
        #expect(edge.description == "ff00000000000000" + "0000000000000001")
        #expect(TaskID(bytes: Array(repeating: 0, count: 16))! < TaskID(bytes: [0] + Array(repeating: 0xFF, count: 15))!)
        #expect(TaskID(bytes: Array(repeating: 0, count: 15)) == nil)
    }

    @Test("the owned table walks its ids in ascending order through adds, removals and re-adds")
    func ownedOrder() {
        var table = OwnedTasks()
        var expected = Set<TaskID>()
        for n in 0..<200 {
            table[Self.id(n)] = TaskMachine.Owned(replica: "r\(n % 3)")
            expected.insert(Self.id(n))
            if n % 5 == 0 { table[Self.id(n / 2)] = nil; expected.remove(Self.id(n / 2)) }
            if n % 17 == 0 { #expect(table.ids == expected.sorted()) }
        }
        table[Self.id(0)] = TaskMachine.Owned(replica: "r0")   // removed above, added again
        expected.insert(Self.id(0))
        table[Self.id(0)] = nil
        table[Self.id(0)] = TaskMachine.Owned()
        #expect(table.ids == expected.sorted())
        #expect(table.count == expected.count)
    }

    @Test("the owned table counts replicas in use and the ids with a run as entries change")
    func ownedIndexes() {
        var table = OwnedTasks()
        table[Self.id(1)] = TaskMachine.Owned(replica: "b")
        table[Self.id(2)] = TaskMachine.Owned(replica: "b")
        table[Self.id(3)] = TaskMachine.Owned(replica: "c")
        #expect(table.replicaUse == ["b": 2, "c": 1])
        table[Self.id(2)]?.replica = "c"
        table[Self.id(1)] = nil
        #expect(table.replicaUse == ["c": 2])
        table[Self.id(3)]?.run = RunID(7)
        table[Self.id(2)]?.run = RunID(8)
        #expect(table.runningIDs == [Self.id(2), Self.id(3)].sorted())
        table[Self.id(3)]?.run = nil
        table[Self.id(2)] = nil
        #expect(table.runningIDs.isEmpty)
        #expect(table.replicaUse == ["c": 1])
    }

    @Test("a kept placement ring answers like a fresh one, and a new version rebuilds it")
    func placementCache() {
        var candidates = (0..<5).map { PlacementCandidate(name: "n\($0)", slots: ["p": 2], busySlots: ["p": $0 % 2]) }
        var peers = TaskPeers(selfName: "n0")
        peers.candidates = candidates
        peers.placementVersion = 1
        var cache = TaskPlacementCache()
        func fresh(_ query: PlacementQuery) -> Placement {
            PlacementView(candidates: peers.candidates).place(query, assigned: peers.assigned)
        }
        for n in 0..<50 {
            let query = PlacementQuery(key: "k\(n)", profile: "p")
            peers.assigned = ["n1": n % 4, "n3": n % 3]
            #expect(cache.place(query, peers: peers) == fresh(query))
        }
        // A member goes down: the next version must not reuse the ring that had it.
        candidates[2].isAlive = false
        peers.candidates = candidates
        peers.placementVersion = 2
        for n in 0..<50 {
            let query = PlacementQuery(key: "k\(n)", profile: "p")
            #expect(cache.place(query, peers: peers) == fresh(query))
            #expect(cache.place(query, peers: peers).owner != "n2")
        }
    }
}
