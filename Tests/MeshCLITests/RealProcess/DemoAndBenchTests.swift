import Foundation
import Glibc
import MeshRuntime
import Testing

/// `mesh demo` and `mesh bench` end to end, on addresses of their own.
@Suite("Real nodes: demo and bench", .timeLimit(.minutes(2)))
struct DemoAndBenchTests {
    /// Processes whose command line mentions `marker`.
    static func processes(mentioning marker: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { $0.allSatisfy(\.isNumber) }.compactMap { pid in
            guard let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            let line = String(decoding: raw.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return line.contains(marker) ? "\(pid): \(line)" : nil
        }
    }

    @Test("mesh demo kills a node, shows it dead, restarts it, and leaves no process or directory behind")
    func demo() throws {
        let cluster = try TestCluster(subnet: 41)
        defer { cluster.shutdown() }
        let port = String(cluster.port)
        let demo = try cluster.launch("demo", index: 1, arguments: ["demo", "--first-ip", cluster.ip(1), "--port", port])
        let status = demo.waitForExit(timeout: 90)
        let output = cluster.log("demo")
        #expect(status == 0, "\(output)")
        #expect(output.contains("see each other"))
        #expect(output.contains("reported gamma dead"))
        #expect(output.contains("gamma is alive again at incarnation"))
        #expect(output.contains("done: every node exited"))
        if let line = output.split(separator: "\n").first(where: { $0.contains("data and logs in ") }),
           let directory = line.split(separator: " ").last {
            #expect(!FileManager.default.fileExists(atPath: String(directory)), "demo directory \(directory) removed")
        } else {
            Issue.record("the demo names its directory: \(output)")
        }
        #expect(Self.processes(mentioning: "\(cluster.ip(1)):\(port)").isEmpty)
        #expect(Self.processes(mentioning: "127.0.41.").isEmpty)
    }

    @Test("mesh bench detect prints the detection and idle figures")
    func bench() throws {
        let cluster = try TestCluster(subnet: 42)
        defer { cluster.shutdown() }
        let bench = try cluster.launch("bench", index: 1, arguments: [
            "bench", "detect", "--nodes", "3", "--runs", "1", "--idle-seconds", "1", "--preset", "local",
            "--first-ip", cluster.ip(1), "--port", String(cluster.port)])
        let status = bench.waitForExit(timeout: 90)
        let output = cluster.log("bench")
        #expect(status == 0, "\(output)")
        for key in ["run=1 detect_s=", "detect_s=", "bytes_per_node_per_s=", "rss_kb=", "cpu_pct="] {
            #expect(output.contains(key), "\(key) in \(output)")
        }
        #expect(Self.processes(mentioning: "127.0.42.").isEmpty)
    }
}
