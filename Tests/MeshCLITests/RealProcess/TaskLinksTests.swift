import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import Testing

/// Task traffic between real nodes (127.0.75.x) rides kept-open links: many exchanges, few TCP
/// connections; a killed peer's links fail their exchanges cleanly and the mesh keeps accepting;
/// task ids never repeat across fresh data directories.
@Suite("Real nodes: task links and ids", .serialized, .timeLimit(.minutes(5)))
struct TaskLinksTests {
    /// The nodes' health counter `name`, summed over `indices`.
    static func counter(_ cluster: TestCluster, _ name: String, _ indices: [Int]) -> UInt64 {
        indices.reduce(0) { $0 + (cluster.health("t\($1)")?.counters[name] ?? 0) }
    }

    @Test("60 submissions: every forward and store on a few kept-open links; after a SIGKILL the rest still accept with two copies")
    func linksCarryTaskTraffic() async throws {
        let cluster = try TestCluster(subnet: 75)
        defer { cluster.shutdown() }
        try await cluster.startTaskNodes(3)
        var copies: [Int] = []
        for n in 0..<60 {
            let answer = try cluster.client(1 + n % 3).submitTask(TaskSpec(profile: "ok", prompt: "link \(n)"))
            #expect(answer.status == 201, "\(answer.json)")
            copies.append(Int(answer.json["copies"]?.integer ?? 0))
        }
        #expect(copies.allSatisfy { $0 == 2 })
        let all = [1, 2, 3]
        let streams = Self.counter(cluster, "linkStreams", all)
        let links = Self.counter(cluster, "linksOpened", all)
        // Each of 3 nodes keeps at most `linksPerPeerMax` links to each of the 2 others.
        #expect(links >= 1 && links <= UInt64(3 * 2 * LinkLimits.linksPerPeerMax), "links opened: \(links)")
        #expect(streams >= 2 * 60, "each task's store (and most forwards) rode a link: \(streams) streams")
        #expect(Self.counter(cluster, "linkDropsUnknownKind", all) == 0)

        cluster.kill("t3")
        await cluster.eventually("t3 is dead to t1 and t2", timeout: 20) {
            cluster.state(of: "t3", seenBy: "t1") == "dead" && cluster.state(of: "t3", seenBy: "t2") == "dead"
        }
        for n in 0..<20 {
            let answer = try cluster.client(1 + n % 2).submitTask(TaskSpec(profile: "ok", prompt: "after kill \(n)"))
            #expect(answer.status == 201 && answer.json["copies"]?.integer == 2, "\(answer.json)")
        }
    }

    @Test("the same node name on two fresh data directories makes different task ids")
    func idsDifferAcrossFreshDirectories() async throws {
        var ids: [TaskID] = []
        for _ in 0..<2 {
            let cluster = try TestCluster(subnet: 75)
            defer { cluster.shutdown() }
            try await cluster.startTaskNodes(1)
            ids.append(try #require(cluster.submit(TaskSpec(profile: "ok", prompt: "first"), through: 1)))
        }
        #expect(ids[0] != ids[1], "a fresh directory starts at incarnation 1 and sequence 0 again; only its salt differs")
    }
}
