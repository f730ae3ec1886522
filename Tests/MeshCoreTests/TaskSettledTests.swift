import Testing
@testable import MeshCore

/// The owned table's unsettled ids (what the tick's per-task passes walk): every change puts an
/// id back, settling takes it out, and a removed or unknown id is never walked.
struct TaskSettledTests {
    static func id(_ n: Int) -> TaskID { TaskID.idempotent(key: "s\(n)") }

    @Test("a new, changed or touched owned task is walked again; a settled one is not; a removed one never")
    func unsettledFollowsChanges() {
        var table = OwnedTasks()
        for n in 0..<100 { table[Self.id(n)] = TaskMachine.Owned(replica: "r") }
        #expect(table.unsettledIDs == (0..<100).map(Self.id).sorted())
        for n in 0..<100 { table.settle(Self.id(n)) }
        #expect(table.unsettledIDs.isEmpty)
        table[Self.id(7)]?.confirmedEvents = 2   // an entry written
        table.touch(Self.id(9))                    // a record committed
        table.touch(Self.id(500))                  // not owned: ignored
        #expect(table.unsettledIDs == [Self.id(7), Self.id(9)].sorted())
        table[Self.id(7)] = nil
        #expect(table.unsettledIDs == [Self.id(9)])
        #expect(table.count == 99)
    }
}
