import Testing
@testable import MeshCore
@testable import MeshRuntime

/// The bounded event log behind `GET /v1/events` and `mesh monitor`.
@Suite struct EventLogTests {
    static func log(_ count: Int) -> EventLog {
        var log = EventLog()
        for i in 0..<count { log.append(kind: "join", member: "m\(i)", incarnation: 1, address: nil, time: "t") }
        return log
    }

    @Test func aReaderGetsTheEventsAfterItsCursorInOrderAndResumesFromNext() {
        let log = Self.log(5)
        let first = log.after(2)
        #expect(first.events.map(\.sequence) == [3, 4, 5] && first.next == 5 && first.missed == 0)
        #expect(log.after(first.next).events.isEmpty && log.after(first.next).next == 5)
        #expect(log.after(9).events.count == 5 && log.after(.max).events.first?.sequence == 1,
                "a cursor past the end (an earlier life of the node) starts over")
        #expect(EventLog().after(0).events.isEmpty && EventLog().after(0).next == 0)
    }

    @Test func theLogKeepsOnlyTheNewestEventsAndTellsASlowReaderHowManyItMissed() {
        let log = Self.log(EventLog.capacity + 10)
        let batch = log.after(0)
        #expect(batch.missed == 10)
        #expect(batch.events.first?.sequence == 11 && batch.events.first?.member == "m10")
        #expect(batch.events.count == EventLog.eventsPerAnswerMax, "one answer is bounded")
        var cursor: UInt64 = 0, read = 0
        for _ in 0..<100 {
            let next = log.after(cursor)
            if next.events.isEmpty { break }
            read += next.events.count
            #expect(next.events.first!.sequence > cursor)
            cursor = next.next
        }
        #expect(read == EventLog.capacity && cursor == UInt64(EventLog.capacity + 10))
    }

    @Test(arguments: [
        (MemberStatus.alive, nil, "join"), (.alive, .dead, "join"), (.alive, .left, "join"), (.alive, .suspect, "alive"),
        (.alive, .alive, "update"), (.suspect, .alive, "suspect"), (.dead, .suspect, "dead"), (.left, .dead, "left"),
    ] as [(MemberStatus, MemberStatus?, String)])
    func eventsAreNamedFromTheStatusBeforeAndAfter(_ status: MemberStatus, _ previous: MemberStatus?, _ kind: String) {
        #expect(MonitorEvent.kind(of: status, previous: previous) == kind)
    }

    @Test func queryStringsAndBodiesAreReadStrictly() {
        #expect(ControlBody.query("after=3&wait=2") == ["after": "3", "wait": "2"])
        #expect(ControlBody.query("") == [:])
        #expect(ControlBody.parse(Array("[1]".utf8)) == nil && ControlBody.parse(Array("{\"a\":1".utf8)) == nil)
        #expect(ControlBody.parse(Array("{\"name\":\"b\"}".utf8))?["name"]?.string == "b")
    }
}
