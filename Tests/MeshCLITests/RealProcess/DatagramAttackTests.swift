import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import Testing

/// Hostile datagrams sent to real `mesh` processes by a holder of the cluster key (any member can
/// turn): counters at the top of the range, names that would inject escape sequences into a
/// terminal, and forged probe answers that try to keep a killed member alive.
@Suite("Real nodes: datagram attacks", .timeLimit(.minutes(5)))
struct DatagramAttackTests {
    static func send(_ messages: [Message], codec: PacketCodec, to target: String, from fd: Int32) {
        var w = ByteWriter()
        for m in messages { MessageCodec.encode(m, into: &w) }
        let datagram = codec.seal(payload: w.bytes)
        let address = Address(parsing: target)!
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = address.port.bigEndian
        sa.sin_addr = in_addr(s_addr: address.ipv4.bigEndian)
        _ = datagram.withUnsafeBytes { bytes in
            withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    @Test("top-of-range incarnations, escape-sequence names and forged acks: nodes survive, answer within 1 s, count each drop, and still detect a real death")
    func hostileDatagrams() throws {
        let cluster = try TestCluster(subnet: 52)
        defer { cluster.shutdown() }
        let keyPath = cluster.directory + "/mesh.key"
        #expect(cluster.runInLauncher(["keygen", "--out", keyPath]) != nil)
        let keys = try KeyFile.parse(String(contentsOfFile: keyPath, encoding: .utf8))
        let codec = PacketCodec(keyring: Keyring(keys: keys), label: "")
        let names = ["a", "b", "c"]
        try cluster.start("a", index: 1, keyFile: keyPath)
        for (i, name) in names.enumerated().dropFirst() { try cluster.start(name, index: i + 1, join: [1], keyFile: keyPath) }
        cluster.waitUntil("every node sees three alive", timeout: 15) { names.allSatisfy { cluster.status($0)?.count("alive") == 3 } }
        let aSeenByB = try #require(cluster.status("b")?.member("a")?.incarnation)
        let bSeenByA = try #require(cluster.status("a")?.member("b")?.incarnation)

        let fd = try Sockets.datagramSocket(boundTo: Address(127, 0, 52, 9, port: 0))
        defer { closeDescriptor(fd) }
        let top = UInt64.max
        for target in [cluster.address(1), cluster.address(2)] {
            Self.send([.suspect(Accusation(incarnation: top, name: "a", from: "x")),
                       .suspect(Accusation(incarnation: top, name: "b", from: "x")),
                       .dead(Accusation(incarnation: top - 1, name: "c", from: "x")),
                       .alive(Alive(incarnation: top, name: "a", address: Address(127, 0, 52, 9, port: 1), meta: []))],
                      codec: codec, to: target, from: fd)
            Self.send([.alive(Alive(incarnation: 1, name: "evil\u{1B}[2J\n", address: Address(127, 0, 52, 9, port: 2), meta: []))],
                      codec: codec, to: target, from: fd)
        }
        cluster.waitUntil("a and b count the top-of-range counters and the bad name", timeout: 5) {
            ["a", "b"].allSatisfy { name in
                guard let drops = cluster.health(name)?.datagramDrops else { return false }
                return (drops["counterOutOfRange"] ?? 0) >= 4 && (drops["badName"] ?? 0) >= 1
            }
        }

        // Kill c, and keep sending forged answers from another address while the others probe it.
        let before = try #require(cluster.status("a")?.member("c")?.incarnation)
        cluster.kill("c")
        let killedAt = Date()
        var generator = SeededGenerator(seed: 99)
        var slowest = 0.0
        let detected = cluster.waitUntil("a and b declare c dead despite forged acks", timeout: MembershipTests.lanDetectionBoundSeconds) {
            for _ in 0..<200 {
                let sequence = UInt32(truncatingIfNeeded: generator.next())
                let target = generator.below(2) == 0 ? cluster.address(1) : cluster.address(2)
                Self.send([.ack(sequence: sequence), .indirectAck(sequence: sequence &+ 1), .nack(sequence: sequence &+ 2)],
                          codec: codec, to: target, from: fd)
            }
            let started = Date()
            let states = ["a", "b"].map { cluster.state(of: "c", seenBy: $0) }
            slowest = max(slowest, Date().timeIntervalSince(started) / 2)
            return states.allSatisfy { $0 == "dead" }
        }
        #expect(detected != nil)
        #expect(Date().timeIntervalSince(killedAt) < MembershipTests.lanDetectionBoundSeconds)
        #expect(slowest < 1.0, "each status answered within 1 s (slowest \(slowest) s)")
        #expect(cluster.status("a")?.member("c")?.incarnation == before)
        #expect(cluster.status("b")?.member("a")?.incarnation == aSeenByB, "a never had to refute anything")
        #expect(cluster.status("a")?.member("b")?.incarnation == bSeenByA, "b never had to refute anything")
        for name in ["a", "b"] {
            let status = try #require(cluster.status(name))
            #expect(status.members.allSatisfy { MemberName.isValid($0.name) })
            #expect(cluster.process(name)?.isRunning == true)
        }
    }

    /// Every message in the datagrams waiting on `fd`, with their senders.
    static func drain(_ fd: Int32, codec: PacketCodec) -> [(Message, Address)] {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2_048, alignment: 8)
        defer { buffer.deallocate() }
        var out: [(Message, Address)] = []
        while let (count, sender) = try? Sockets.receiveDatagram(fd, into: buffer) {
            let bytes = Bytes(UnsafeRawBufferPointer(rebasing: buffer[0..<min(count, buffer.count)]))
            guard case .success(let range) = codec.open(bytes) else { continue }
            var ignored = DropCounters()
            guard case .success(let messages) = PacketCodec.messages(in: bytes, range: range, skipped: &ignored) else { continue }
            out += messages.map { ($0, sender) }
        }
        return out
    }

    @Test("a member that sees a node's probe sequence and sends acks for the next sequences from its own address keeps no dead member alive; each forged ack is counted")
    func replayedAcks() throws {
        let cluster = try TestCluster(subnet: 53)
        defer { cluster.shutdown() }
        let keyPath = cluster.directory + "/mesh.key"
        #expect(cluster.runInLauncher(["keygen", "--out", keyPath]) != nil)
        let codec = PacketCodec(keyring: Keyring(keys: try KeyFile.parse(String(contentsOfFile: keyPath, encoding: .utf8))), label: "")
        try cluster.start("a", index: 1, keyFile: keyPath)
        try cluster.start("c", index: 3, join: [1], keyFile: keyPath)
        cluster.waitUntil("a and c see each other", timeout: 15) { cluster.status("a")?.count("alive") == 2 }

        // The spy joins as a member, answers every ping it gets, and learns a's probe sequences.
        let spyAddress = Address(127, 0, 53, 9, port: UInt16(cluster.port))
        let spy = try Sockets.datagramSocket(boundTo: spyAddress)
        defer { closeDescriptor(spy) }
        let a = Address(parsing: cluster.address(1))!
        Self.send([.alive(Alive(incarnation: 1, name: "spy", address: spyAddress, meta: []))], codec: codec, to: cluster.address(1), from: spy)
        var lastSequence: UInt32?
        func answerAndForge() {
            for (message, sender) in Self.drain(spy, codec: codec) {
                guard case .ping(let ping) = message, ping.target == "spy" else { continue }
                Self.send([.ack(sequence: ping.sequence)], codec: codec, to: sender.description, from: spy)
                if sender == a { lastSequence = ping.sequence }
            }
            guard let last = lastSequence else { return }
            // a's next probes (of c among them) use the sequences that follow: answer them all.
            Self.send((1...8).map { .ack(sequence: last &+ $0) }, codec: codec, to: cluster.address(1), from: spy)
        }
        cluster.waitUntil("a probes the spy", timeout: 10) { answerAndForge(); return lastSequence != nil }

        cluster.kill("c")
        let detected = cluster.waitUntil("a declares c dead despite the forged acks", timeout: MembershipTests.lanDetectionBoundSeconds,
                                         interval: 0.02) {
            answerAndForge()
            return cluster.state(of: "c", seenBy: "a") == "dead"
        }
        #expect(detected != nil)
        let drops = try #require(cluster.health("a")?.datagramDrops)
        #expect((drops["unexpectedAnswer"] ?? 0) > 0, "\(drops)")
        #expect(cluster.state(of: "spy", seenBy: "a") == "alive", "the spy answered its own probes")
    }

    @Test("3,000 invented members from a key holder: the table stops at --members-max and counts the rest, status still answers within 1 s, and a new node still joins over a multi-frame push-pull")
    func memberTableFlood() throws {
        let cluster = try TestCluster(subnet: 54)
        defer { cluster.shutdown() }
        let keyPath = cluster.directory + "/mesh.key"
        #expect(cluster.runInLauncher(["keygen", "--out", keyPath]) != nil)
        let codec = PacketCodec(keyring: Keyring(keys: try KeyFile.parse(String(contentsOfFile: keyPath, encoding: .utf8))), label: "")
        let tableMax = 2_000
        try cluster.start("a", index: 1, keyFile: keyPath, extra: ["--members-max", String(tableMax)])
        cluster.waitUntil("a answers", timeout: 10) { cluster.status("a") != nil }
        let fd = try Sockets.datagramSocket(boundTo: Address(127, 0, 54, 9, port: 0))
        defer { closeDescriptor(fd) }
        // The largest metadata: the full state then needs more than one 1 MiB stream frame.
        let meta = Bytes(repeating: 0x6D, count: WireLimits.metaBytesMax)
        let invented = 3_000
        // UDP may drop some of a burst: send the lot again until the table is full (a known
        // member's repeat is a no-op), pacing each round so the node keeps up.
        var full = false
        for _ in 0..<4 where !full {
            var sent = 0
            while sent < invented {
                var batch: [Message] = []
                for i in sent..<min(invented, sent + 2) {
                    let address = Address(127, 0, 54, UInt8(100 + i % 100), port: UInt16(20_000 + i / 100))
                    batch.append(.alive(Alive(incarnation: 1, name: "ghost-\(i)", address: address, meta: meta)))
                }
                Self.send(batch, codec: codec, to: cluster.address(1), from: fd)
                sent += batch.count
                if sent % 200 == 0 { usleep(20_000) }
            }
            let deadline = Date().addingTimeInterval(15)
            while !full && Date() < deadline {
                full = (cluster.health("a")?.members.values.reduce(0, +) ?? 0) - 1 >= UInt64(tableMax)
                if !full { usleep(200_000) }
            }
        }
        #expect(full, "a's table filled up")
        var slowest = 0.0
        for _ in 0..<5 {
            let started = Date()
            #expect(cluster.status("a") != nil)
            slowest = max(slowest, Date().timeIntervalSince(started))
        }
        #expect(slowest < 1.0, "status of a full table within 1 s (slowest \(slowest) s)")
        let health = try #require(cluster.health("a"))
        let known = health.members.values.reduce(0, +) - 1
        #expect(known == UInt64(tableMax), "\(health.members)")
        #expect((health.datagramDrops["memberTableFull"] ?? 0) > 0, "\(health.datagramDrops)")

        try cluster.start("b", index: 2, join: [1], keyFile: keyPath, extra: ["--members-max", String(tableMax + 1)])
        cluster.waitUntil("b joins and learns the full table", timeout: 20) {
            guard let b = cluster.health("b"), b.hasJoined else { return false }
            return b.members.values.reduce(0, +) >= UInt64(tableMax)
        }
        // a's table is full, so a counts b as one more member past the limit (until the invented
        // members are found dead and reaped); b, whose limit is one higher, knows a and all of them.
        #expect(cluster.status("a")?.member("b") == nil)
        #expect(cluster.state(of: "a", seenBy: "b") == "alive")
        #expect(cluster.process("a")?.isRunning == true)
    }
}
