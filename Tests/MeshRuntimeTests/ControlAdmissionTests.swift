import MeshCore
@testable import MeshRuntime
import Testing

/// Which control connections stay open when there are too many: the table alone, no sockets.
@Suite("Control server admission: per-source limit, global limit, eviction")
struct ControlAdmissionTests {
    static let a = SocketEndpoint.ipv4(Address(127, 0, 0, 1, port: 40_001))
    static let a2 = SocketEndpoint.ipv4(Address(127, 0, 0, 1, port: 40_002))
    static let b = SocketEndpoint.ipv4(Address(127, 0, 0, 2, port: 40_001))
    static let c = SocketEndpoint.ipv4(Address(127, 0, 0, 3, port: 40_001))

    static func table() -> ControlAdmission {
        ControlAdmission(connectionsMax: 4, connectionsPerSourceMax: 2)
    }

    @Test("up to the per-source limit nobody is evicted; past it, that source's oldest waiting connection goes")
    func perSource() {
        var table = Self.table()
        #expect(table.admit(1, from: Self.a, hasRequest: false) == .admitted(evicting: nil))
        #expect(table.admit(2, from: Self.a2, hasRequest: false) == .admitted(evicting: nil), "ports do not matter")
        #expect(table.admit(3, from: Self.b, hasRequest: false) == .admitted(evicting: nil))
        #expect(table.admit(4, from: Self.a, hasRequest: false) == .admitted(evicting: 1))
        #expect(table.admit(5, from: Self.a, hasRequest: false) == .admitted(evicting: 2))
        #expect(table.count == 3)
    }

    @Test("a connection whose request has arrived is never evicted; when none is waiting, the newcomer is refused")
    func requestArrivedProtects() {
        var table = Self.table()
        _ = table.admit(1, from: Self.a, hasRequest: false)
        _ = table.admit(2, from: Self.a, hasRequest: false)
        table.requestArrived(1)
        #expect(table.admit(3, from: Self.a, hasRequest: false) == .admitted(evicting: 2))
        #expect(table.admit(4, from: Self.a, hasRequest: true) == .admitted(evicting: 3), "a ready newcomer takes a waiting one's place")
        #expect(table.admit(5, from: Self.a, hasRequest: false) == .refused)
        table.remove(1)
        #expect(table.admit(6, from: Self.a, hasRequest: false) == .admitted(evicting: nil))
    }

    @Test("past the global limit the oldest waiting connection of any source goes")
    func global() {
        var table = Self.table()
        _ = table.admit(1, from: Self.a, hasRequest: false)
        _ = table.admit(2, from: Self.b, hasRequest: false)
        _ = table.admit(3, from: Self.b, hasRequest: false)
        table.requestArrived(2)
        #expect(table.admit(4, from: Self.c, hasRequest: false) == .admitted(evicting: nil))
        #expect(table.admit(5, from: Self.c, hasRequest: false) == .admitted(evicting: 1))
        table.requestArrived(3)
        table.requestArrived(4)
        table.requestArrived(5)
        #expect(table.admit(6, from: Self.a, hasRequest: false) == .refused, "every open connection is being answered")
        #expect(table.count == 4)
    }

    @Test("removing an unknown or evicted id changes nothing; a peer without an address is one source")
    func edges() {
        var table = Self.table()
        table.remove(99)
        table.requestArrived(99)
        #expect(table.admit(1, from: nil, hasRequest: false) == .admitted(evicting: nil))
        #expect(table.admit(2, from: nil, hasRequest: false) == .admitted(evicting: nil))
        #expect(table.admit(3, from: nil, hasRequest: false) == .admitted(evicting: 1))
        table.remove(1)
        #expect(table.count == 2)
    }
}
