import Foundation
import Glibc
import MeshRuntime
import Testing

/// `mesh bench` end to end, on addresses of its own (the demo: DemoStoryTests), and the process probe both use.
@Suite("Real nodes: demo and bench", .timeLimit(.minutes(5)))
struct DemoAndBenchTests {
    struct ProcUnreadable: Error {}

    /// Processes whose command line mentions `marker`, read straight from /proc. Throws when /proc
    /// cannot be listed, so "no process left behind" can never pass because nothing was looked at.
    static func processes(mentioning marker: String) throws -> [String] {
        guard let directory = opendir("/proc") else { throw ProcUnreadable() }
        defer { closedir(directory) }
        var found: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard !name.isEmpty, name.allSatisfy(\.isNumber) else { continue }
            let fd = open("/proc/\(name)/cmdline", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }   // the process exited meanwhile
            var buffer = [UInt8](repeating: 0, count: 8192)
            let count = read(fd, &buffer, buffer.count)
            close(fd)
            guard count > 0 else { continue }
            let line = String(decoding: buffer[0..<count].map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            if line.contains(marker) { found.append("\(name): \(line)") }
        }
        return found
    }

    /// Waits until the process probe sees a process mentioning `marker`: proof that the later
    /// "nothing mentions it any more" check looks at real processes.
    static func expectProbeSees(_ marker: String, in cluster: TestCluster) {
        cluster.waitUntil("the process probe sees a process mentioning \(marker)", timeout: 5) {
            !((try? processes(mentioning: marker)) ?? []).isEmpty
        }
    }

    @Test("mesh bench detect prints the detection and idle figures, each a number in its range")
    func bench() throws {
        let cluster = try TestCluster(subnet: 42)
        defer { cluster.shutdown() }
        let bench = try cluster.launch("bench", index: 1, arguments: [
            "bench", "detect", "--nodes", "3", "--runs", "1", "--idle-seconds", "1", "--preset", "local",
            "--first-ip", cluster.ip(1), "--port", String(cluster.port), "--settle-seconds", "0"])
        Self.expectProbeSees(cluster.ip(1), in: cluster)
        let status = bench.waitForExit(timeout: 90)
        let output = cluster.log("bench")
        #expect(status == 0, "\(output)")
        // Every figure is a number in its range: NaN, inf or a missing key fails.
        let run = try #require(Self.figures(startingWith: "run=1 ", in: output), "a run line in \(output)")
        let overall = try #require(Self.figures(startingWith: "detect_s=", in: output), "an overall line in \(output)")
        for figures in [run, overall] {
            let detect = try #require(figures["detect_s"]), all = try #require(figures["all_s"])
            #expect(detect > 0 && detect < MembershipTests.lanDetectionBoundSeconds, "detect_s in \(figures)")
            #expect(all >= detect && all < MembershipTests.lanDetectionBoundSeconds, "all_s in \(figures)")
            #expect(figures["missed"] == 0, "no observer missed the death: \(figures)")
        }
        #expect(try #require(run["rejoin_s"]) > 0)
        #expect(overall["all_max_s"] == run["all_s"], "one run: the worst run is that run")
        let bytes = try #require(Self.figures(startingWith: "bytes_per_node_per_s=", in: output)?["bytes_per_node_per_s"])
        let rss = try #require(Self.figures(startingWith: "rss_kb=", in: output)?["rss_kb"])
        let cpu = try #require(Self.figures(startingWith: "cpu_pct=", in: output)?["cpu_pct"])
        #expect(bytes > 0, "idle nodes still probe each other")
        #expect(rss > 1_000, "a node's resident memory is megabytes")
        #expect(cpu >= 0 && cpu < 100)
        #expect(try Self.processes(mentioning: "127.0.42.").isEmpty)
    }

    /// The `key=value` figures of the first output line that starts with `prefix`, each parsed as a
    /// finite number; nil when there is no such line or one of its values is not a finite number.
    static func figures(startingWith prefix: String, in output: String) -> [String: Double]? {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return nil }
        var figures: [String: Double] = [:]
        for part in line.split(separator: " ") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            guard let value = Double(pair[1]), value.isFinite else { return nil }
            figures[String(pair[0])] = value
        }
        return figures
    }
}
