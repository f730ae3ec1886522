import Foundation
import Glibc
import MeshCore
import MeshRuntime
import Testing

/// Real `mesh` processes with agent profiles: capacity records reach every node and stay fresh,
/// and `mesh place` gives the same answer on every node.
@Suite("Real nodes: capacity and placement", .serialized, .timeLimit(.minutes(5)))
struct CapacityTests {
    static let names = (1...5).map { "n\($0)" }

    /// Node i runs `claude` with i slots; nodes 1–3 also run `codex`; even nodes carry `research`.
    static func config(_ i: Int) -> String {
        var profiles = ["{\"name\": \"claude\", \"command\": [\"/bin/true\"], \"slots\": \(i)}"]
        if i <= 3 { profiles.append("{\"name\": \"codex\", \"command\": [\"/bin/true\", \"-x\"], \"slots\": 2, \"tags\": [\"fast\"]}") }
        return "{\"tags\": [\(i % 2 == 0 ? "\"research\"" : "")], \"profiles\": [\(profiles.joined(separator: ", "))]}"
    }

    /// Five nodes with profiles, every one started from its own config file (subnet 62).
    static func startMesh() throws -> TestCluster {
        let cluster = try TestCluster(subnet: 62)
        for i in 1...5 {
            let path = "\(cluster.directory)/n\(i).json"
            try config(i).write(toFile: path, atomically: true, encoding: .utf8)
            try cluster.start("n\(i)", index: i, join: i == 1 ? [] : [1], preset: "local", extra: ["--config", path])
        }
        return cluster
    }

    static func holdsEveryRecord(_ report: StatusReport?) -> Bool {
        guard let report, report.members.count == 5 else { return false }
        return report.members.allSatisfy { member in
            guard let record = member.capacity, let i = Int(member.name.dropFirst()) else { return false }
            return record.profiles.map(\.name) == (i <= 3 ? ["claude", "codex"] : ["claude"])
                && record.profiles[0].slots == i && record.slotsBusy == 0 && record.memoryFreeBytes > 0
                && record.tags == (i % 2 == 0 ? ["research"] : []) && !record.memberDown
        }
    }

    @Test("every node shows every node's profiles, slots and load, and no record grows older than a few seconds")
    func statusShowsEveryRecord() throws {
        let cluster = try Self.startMesh()
        defer { cluster.shutdown() }
        cluster.waitUntil("every node holds every node's record", timeout: 20) {
            Self.names.allSatisfy { Self.holdsEveryRecord(cluster.status($0)) }
        }
        // Healthy mesh: for 8 s, every record any node holds was taken within the last few seconds
        // (versions at least every 4 s in a mesh this small, plus gossip).
        var oldest = 0.0
        let deadline = Date().addingTimeInterval(8)
        while Date() < deadline {
            for name in Self.names {
                for member in cluster.status(name)?.members ?? [] { oldest = max(oldest, member.capacity?.ageSeconds ?? .infinity) }
            }
            usleep(250_000)
        }
        #expect(oldest <= 6.5, "a record was \(oldest) s old")
        print("oldest capacity record seen over 8 s on 5 nodes: \(String(format: "%.2f", oldest)) s")
        let table = cluster.runInLauncher(["status", "--http", cluster.httpAddress(3)]) ?? ""
        #expect(table.contains("AGENTS") && table.contains("SLOTS") && table.contains("LOAD") && table.contains("claude,codex"))
        #expect(table.contains("0/3") && table.contains("0/5"), "\(table)")
    }

    static func placements(_ cluster: TestCluster, node: Int, keys: [String], query: String) -> [String]? {
        let client = ControlClient(endpoint: SocketEndpoint(parsing: cluster.httpAddress(node))!, timeout: .seconds(2))
        var answers: [String] = []
        for key in keys {
            guard let body = try? client.request("GET", "/v1/place?key=\(key)&\(query)") else { return nil }
            answers.append(String(decoding: body, as: UTF8.self))
        }
        return answers
    }

    @Test("mesh place gives the same owner and replicas on every node a few seconds after the last one joined")
    func placeAgrees() throws {
        let cluster = try Self.startMesh()
        defer { cluster.shutdown() }
        let keys = (0..<25).map { "task-\($0)" }
        for query in ["profile=claude", "profile=codex&tag=research", "profile=claude&tag=research"] {
            cluster.waitUntil("all five nodes place \(query) the same", timeout: 15) {
                let answers = (1...5).map { Self.placements(cluster, node: $0, keys: keys, query: query) }
                return answers.allSatisfy { $0 != nil && $0 == answers[0] }
            }
        }
        let (status, output) = cluster.runCapturing(["place", "task-7", "--profile", "codex", "--tag", "research", "--json",
                                                     "--http", cluster.httpAddress(4)])
        #expect(status == 0, "\(output)")
        let json = try JSONValue.parse(output)
        #expect(json["owner"]?.string == "n2", "only n2 runs codex and carries research: \(output)")
        #expect(json["replicas"]?.array?.count == 1)
        let skipped = json["skipped"]?.array ?? []
        #expect(skipped.contains { $0["name"]?.string == "n4" && $0["reason"]?.string == "lacksProfile" }, "\(output)")
        #expect(skipped.contains { $0["name"]?.string == "n1" && $0["reason"]?.string == "lacksTag" }, "\(output)")
        let unknown = cluster.runCapturing(["place", "k", "--profile", "gemini", "--http", cluster.httpAddress(1)])
        #expect(unknown.status == 1 && unknown.output.contains("no alive member advertises profile 'gemini'"), "\(unknown.output)")
    }

    @Test("mesh check-config lists every problem with its line and column; the example config passes")
    func checkConfig() throws {
        let cluster = try TestCluster(subnet: 62)
        defer { cluster.shutdown() }
        let bad = "\(cluster.directory)/bad.json"
        try "{\n \"profiles\": [\n  {\"name\": \"a b\", \"command\": [], \"slots\": 300},\n  {\"name\": \"ok\", \"command\": [\"x\"], \"slots\": 1, \"tags\": [\"t\", \"t\"]}\n ]\n}\n"
            .write(toFile: bad, atomically: true, encoding: .utf8)
        let (status, output) = cluster.runCapturing(["check-config", bad])
        #expect(status == 1)
        for expected in ["line 3, column 12: profiles[0].name", "line 3, column 30: profiles[0].command",
                         "line 3, column 43: profiles[0].slots", "line 4, column 56: profiles[1].tags"] {
            #expect(output.contains(expected), "\(expected) in \(output)")
        }
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("configs/node.example.json").path
        let good = cluster.runCapturing(["check-config", example, "--json"])
        #expect(good.status == 0, "\(good.output)")
        #expect(try JSONValue.parse(good.output)["profiles"]?.array?.count == 2)
    }
}
