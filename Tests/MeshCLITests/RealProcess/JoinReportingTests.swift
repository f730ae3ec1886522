import Foundation
import Glibc
import MeshRuntime
import Testing

/// A node that cannot join says why, at the default log level, and shows it in `/v1/health` and
/// `mesh status` until it joins.
@Suite("Real nodes: join failures are reported", .timeLimit(.minutes(5)))
struct JoinReportingTests {
    /// `mesh start` for node `name` at `index`, at the default log level (info).
    static func start(_ cluster: TestCluster, _ name: String, index: Int, join: Int, keyFile: String) throws {
        try cluster.launch(name, index: index, arguments: [
            "start", "--name", name, "--bind", cluster.address(index), "--http", cluster.httpAddress(index),
            "--join", cluster.address(join), "--key-file", keyFile, "--exit-with-parent"])
    }

    /// The `join attempt failed` lines of `name`'s log.
    static func failures(_ cluster: TestCluster, _ name: String) -> [Substring] {
        cluster.log(name).split(separator: "\n").filter { $0.contains("join attempt failed") }
    }

    @Test("a wrong key and an absent seed each log the reason within 5 s; health and status say not joined yet")
    func wrongKeyAndAbsentSeed() throws {
        let cluster = try TestCluster(subnet: 63)
        defer { cluster.shutdown() }
        let rightKey = cluster.directory + "/right.key", wrongKey = cluster.directory + "/wrong.key"
        for path in [rightKey, wrongKey] { #expect(cluster.runInLauncher(["keygen", "--out", path]) != nil) }
        try Self.start(cluster, "seed", index: 1, join: 9, keyFile: rightKey)
        cluster.waitUntil("the seed answers", timeout: 10) { cluster.status("seed") != nil }

        try Self.start(cluster, "intruder", index: 2, join: 1, keyFile: wrongKey)
        try Self.start(cluster, "lonely", index: 3, join: 8, keyFile: rightKey)   // nothing listens at .8
        cluster.waitUntil("both log a failed join attempt with its reason", timeout: 5) {
            Self.failures(cluster, "intruder").contains { $0.contains("refused our request") }
                && Self.failures(cluster, "lonely").contains { $0.contains("Connection refused") }
        }
        let intruder = try #require(cluster.health("intruder"))
        #expect(!intruder.hasJoined)
        #expect(intruder.lastJoinFailure?.contains(cluster.address(1)) == true, "\(String(describing: intruder.lastJoinFailure))")
        let lonely = try #require(cluster.status("lonely"))
        #expect(!lonely.hasJoined)
        #expect(lonely.lastJoinFailure?.contains("no connection") == true, "\(String(describing: lonely.lastJoinFailure))")
        let table = cluster.runInLauncher(["status", "--http", cluster.httpAddress(3)]) ?? ""
        #expect(table.contains("not joined yet: through \(cluster.address(8)): no connection"), "\(table)")

        // Backoff: attempts at 0, 1, 2 (doubling), so a few lines in the first seconds, not one per probe.
        #expect(Self.failures(cluster, "lonely").count <= 4, "\(cluster.log("lonely"))")

        // The seed that was absent appears: one line when the node joins, and the reason is gone.
        try Self.start(cluster, "late", index: 8, join: 1, keyFile: rightKey)
        cluster.waitUntil("lonely joins once its seed is up", timeout: 15) { cluster.status("lonely")?.hasJoined == true }
        #expect(cluster.log("lonely").contains("joined the mesh"))
        #expect(cluster.health("lonely")?.lastJoinFailure == nil)
    }
}
