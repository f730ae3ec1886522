import Foundation
import Glibc
import MeshRuntime
import Testing

/// Real `mesh` processes on 127.0.x.y: what only real sockets, clocks and signals show.
@Suite("Real nodes: membership", .timeLimit(.minutes(5)))
struct MembershipTests {
    /// The `lan` preset's bound for every other member to report a SIGKILLed member dead: until
    /// some member probes it (a full round of probes at worst), the probe deadline, the suspicion
    /// timeout at its maximum (no confirmations), and gossip to the last member, with slack.
    static let lanDetectionBoundSeconds = 5 * 0.8 + 0.95 + 7.2 + 2.0

    @Test("five nodes join through one seed; a killed node is declared dead and rejoins with a higher incarnation")
    func joinKillRestart() throws {
        let cluster = try TestCluster(subnet: 11)
        defer { cluster.shutdown() }
        let names = (1...5).map { "n\($0)" }
        try cluster.start("n1", index: 1)
        for i in 2...5 { try cluster.start(names[i - 1], index: i, join: [1]) }
        cluster.waitUntil("every node reports 5 alive", timeout: 20) {
            names.allSatisfy { cluster.status($0)?.count("alive") == 5 }
        }
        let before = try #require(cluster.status("n1")?.member("n5")?.incarnation)

        cluster.kill("n5")
        let detected = cluster.waitUntil("n1…n4 report n5 dead", timeout: Self.lanDetectionBoundSeconds) {
            names.dropLast().allSatisfy { cluster.state(of: "n5", seenBy: $0) == "dead" }
        }
        #expect(detected != nil)
        if let detected { print("n5 reported dead by n1…n4 \(String(format: "%.2f", detected))s after SIGKILL") }

        try cluster.start("n5", index: 5, join: [1])
        cluster.waitUntil("every node reports n5 alive at a higher incarnation", timeout: 15) {
            names.allSatisfy { name in
                guard let member = cluster.status(name)?.member("n5") else { return false }
                return member.state == "alive" && member.incarnation > before
            }
        }
    }

    @Test("a graceful leave, by signal or by mesh leave, shows as left, not dead")
    func gracefulLeave() throws {
        let cluster = try TestCluster(subnet: 12)
        defer { cluster.shutdown() }
        try cluster.start("a", index: 1)
        try cluster.start("b", index: 2, join: [1])
        try cluster.start("c", index: 3, join: [1])
        cluster.waitUntil("every node sees 3 alive", timeout: 15) {
            ["a", "b", "c"].allSatisfy { cluster.status($0)?.count("alive") == 3 }
        }

        let c = try #require(cluster.process("c"))
        c.signal(SIGTERM)
        #expect(c.waitForExit(timeout: 10) == 0, "SIGTERM: leave, then exit 0")
        cluster.waitUntil("a and b see c left", timeout: 10) {
            cluster.state(of: "c", seenBy: "a") == "left" && cluster.state(of: "c", seenBy: "b") == "left"
        }

        let output = cluster.runInLauncher(["leave", "--http", cluster.httpAddress(2)], timeout: 15)
        #expect(output?.contains("b left the mesh") == true)
        #expect(cluster.process("b")?.waitForExit(timeout: 10) == 0)
        cluster.waitUntil("a sees b left", timeout: 10) { cluster.state(of: "b", seenBy: "a") == "left" }
        #expect(cluster.state(of: "c", seenBy: "a") == "left", "a leave is never mistaken for a failure")
    }

    @Test("a node with the wrong key never joins, and its frames are counted as rejected")
    func wrongKeyNeverJoins() throws {
        let cluster = try TestCluster(subnet: 13)
        defer { cluster.shutdown() }
        let rightKey = cluster.directory + "/right.key"
        let wrongKey = cluster.directory + "/wrong.key"
        for path in [rightKey, wrongKey] {
            #expect(cluster.runInLauncher(["keygen", "--out", path]) != nil)
        }
        try cluster.start("a", index: 1, keyFile: rightKey)
        try cluster.start("b", index: 2, join: [1], keyFile: rightKey)
        cluster.waitUntil("a and b see each other", timeout: 15) {
            cluster.status("a")?.count("alive") == 2 && cluster.status("b")?.count("alive") == 2
        }

        try cluster.start("intruder", index: 3, join: [1], keyFile: wrongKey)
        cluster.waitUntil("a has rejected two of the intruder's join attempts as badTag", timeout: 15) {
            (cluster.status("a")?.drops["badTag"] ?? 0) >= 2
        }
        // Each node must answer: a node that does not is not "without the intruder".
        for name in ["a", "b"] {
            let report = try #require(cluster.status(name), "\(name) answers its status")
            #expect(report.member("intruder") == nil, "\(name) does not list the intruder")
            #expect(report.count("alive") == 2, "\(name) still sees a and b alive")
        }
        let intruder = try #require(cluster.status("intruder"))
        #expect(intruder.members.count == 1, "the intruder knows only itself")
        #expect(cluster.health("intruder")?.hasJoined == false)
        #expect((cluster.health("a")?.streamDrops["badTag"] ?? 0) >= 2)
    }

    @Test("a node started before its seed joins once the seed appears")
    func lateSeed() throws {
        let cluster = try TestCluster(subnet: 14)
        defer { cluster.shutdown() }
        try cluster.start("early", index: 2, join: [1])
        cluster.waitUntil("early has tried the absent seed", timeout: 10) {
            (cluster.health("early")?.counters["streamsFailed"] ?? 0) >= 1
        }
        #expect(cluster.health("early")?.hasJoined == false)
        try cluster.start("seed", index: 1)
        cluster.waitUntil("early and seed see each other alive", timeout: 20) {
            cluster.state(of: "seed", seenBy: "early") == "alive" && cluster.state(of: "early", seenBy: "seed") == "alive"
        }
    }

    @Test("a second node with a live member's name is refused with a clear message")
    func duplicateNameRefused() throws {
        let cluster = try TestCluster(subnet: 15)
        defer { cluster.shutdown() }
        try cluster.start("a", index: 1)
        try cluster.start("b", index: 2, join: [1])
        cluster.waitUntil("a sees b", timeout: 15) { cluster.state(of: "b", seenBy: "a") == "alive" }

        let impostor = try cluster.launch("b-again", index: 3, arguments: [
            "start", "--name", "b", "--bind", cluster.address(3), "--http", cluster.httpAddress(3),
            "--join", cluster.address(1), "--exit-with-parent"])
        let status = impostor.waitForExit(timeout: 15)
        #expect(status != nil && status != 0, "the duplicate must exit non-zero")
        #expect(cluster.log("b-again").contains("already named 'b'"))
        #expect(cluster.status("a")?.member("b")?.address == cluster.address(2), "the original b keeps its address")
        #expect(cluster.state(of: "b", seenBy: "a") == "alive")
    }
}
