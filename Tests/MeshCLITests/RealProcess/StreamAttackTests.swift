import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import Testing

/// Attacks on the stream listener of real `mesh` processes: a host that floods it with connections
/// that never authenticate must not keep a legitimate node from joining, nor slow the control API,
/// nor make anyone suspect anyone.
@Suite("Real nodes: stream attacks", .timeLimit(.minutes(5)))
struct StreamAttackTests {
    /// Opens connections to `target` from `sources` until `until`, each holding a different kind
    /// of garbage: nothing, half a hello, or a hello and a frame header announcing 1 MiB under a
    /// forged tag. Returns how many connections it made.
    static func flood(_ target: SocketEndpoint, from sources: [Address], until: Date) -> Int {
        var open: [Int32] = []
        var made = 0
        let hello = StreamHelloBytes.make(labelHash: PacketCodec.hashLabel(""))
        while Date() < until {
            for (i, source) in sources.enumerated() {
                guard let fd = try? Sockets.connect(to: target, from: source).fd else { continue }
                made += 1
                var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                if poll(&entry, 1, 200) == 1 {
                    let garbage: Bytes = switch (made + i) % 3 {
                    case 0: []
                    case 1: Array(hello.prefix(9))
                    default: hello + [1, 0, 0x10, 0, 0] + Bytes(repeating: 0xEE, count: 16)
                    }
                    _ = garbage.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                }
                open.append(fd)
            }
            // Hold each connection about 4 s, past the node's 2 s stream deadline.
            if open.count > 160 { open.prefix(4).forEach(closeDescriptor); open.removeFirst(4) }
            usleep(100_000)
        }
        open.forEach(closeDescriptor)
        return made
    }

    @Test("a connection flood from several addresses: a new node still joins, status answers within 1 s, nobody is suspected")
    func connectionFlood() throws {
        let cluster = try TestCluster(subnet: 51)
        defer { cluster.shutdown() }
        let key = cluster.directory + "/mesh.key"
        #expect(cluster.runInLauncher(["keygen", "--out", key]) != nil)
        try cluster.start("a", index: 1, keyFile: key)
        try cluster.start("b", index: 2, join: [1], keyFile: key)
        cluster.waitUntil("a and b see each other", timeout: 15) {
            cluster.status("a")?.count("alive") == 2 && cluster.status("b")?.count("alive") == 2
        }
        let aSeenByB = try #require(cluster.status("b")?.member("a")?.incarnation)
        let bSeenByA = try #require(cluster.status("a")?.member("b")?.incarnation)

        let target = SocketEndpoint.ipv4(Address(parsing: cluster.address(1))!)
        let sources = (20..<24).map { Address(127, 0, 51, UInt8($0), port: 0) }
        let until = Date().addingTimeInterval(12)
        nonisolated(unsafe) var made = 0
        let attacker = Thread { made = Self.flood(target, from: sources, until: until) }
        attacker.start()
        usleep(500_000)   // let the flood fill every slot it can before the newcomer arrives (not synchronization: the flood runs on)

        try cluster.start("c", index: 3, join: [1], keyFile: key)
        var slowest = 0.0
        cluster.waitUntil("all three see three alive during the flood", timeout: 10) {
            let started = Date()
            let status = cluster.status("a")
            slowest = max(slowest, Date().timeIntervalSince(started))
            return status?.count("alive") == 3 && cluster.status("c")?.count("alive") == 3
                && cluster.status("b")?.count("alive") == 3
        }
        for _ in 0..<10 {
            let started = Date()
            #expect(cluster.status("a") != nil)
            slowest = max(slowest, Date().timeIntervalSince(started))
        }
        #expect(Date() < until, "the flood was still running while c joined")
        #expect(slowest < 1.0, "mesh status answered within 1 s (slowest \(slowest) s)")
        while !attacker.isFinished { usleep(50_000) }
        #expect(made > 100)

        let health = try #require(cluster.health("a"))
        #expect((health.counters["streamsRefusedPerSource"] ?? 0) > 0, "\(health.counters)")
        #expect((health.streamDrops["badTag"] ?? 0) > 0, "\(health.streamDrops)")
        #expect((health.counters["streamsIncomplete"] ?? 0) > 0, "silent connections end at their deadline")
        #expect(cluster.status("b")?.member("a")?.incarnation == aSeenByB, "a never had to refute a suspicion")
        #expect(cluster.status("a")?.member("b")?.incarnation == bSeenByA, "b never had to refute a suspicion")
        #expect(cluster.status("a")?.member("c")?.state == "alive")
    }
}

/// A hello as a peer with keys would send it (fixed nonce: the flood never completes a stream).
enum StreamHelloBytes {
    static func make(labelHash: UInt32) -> Bytes {
        var w = ByteWriter()
        w.u8(MeshVersion.protocolMinimum); w.u8(MeshVersion.protocolCurrent); w.u8(1); w.u32(labelHash)
        w.raw(Bytes(repeating: 7, count: 16))
        return w.bytes
    }
}
