import Foundation
import Glibc
import MeshRuntime
import Testing

/// `mesh start` refuses bad input with one clear line and a non-zero exit.
@Suite("Real nodes: start refuses bad input", .timeLimit(.minutes(5)))
struct StartErrorsTests {
    /// Runs `mesh ARGUMENTS` to completion: its exit status and everything it printed.
    static func run(_ arguments: [String], in cluster: TestCluster) throws -> (status: Int32?, output: String) {
        let name = "run-\(UUID().uuidString)"
        let process = try cluster.launch(name, index: 200, arguments: arguments)
        let status = process.waitForExit(timeout: 10)
        if status == nil { process.kill() }
        return (status, cluster.log(name))
    }

    /// The lines that are not the unauthenticated-mesh warning.
    static func errorLines(_ output: String) -> [Substring] {
        output.split(separator: "\n").filter { !$0.contains("warning:") }
    }

    @Test("bad flags, bad values and bad files each get one line and exit 2", arguments: [
        (["start", "--bogus"], "unknown option '--bogus'"),
        (["start", "--bind", "127.0.0.1"], "--bind must be IPV4:PORT"),
        (["start", "--bind", "10.1.2.3:7946"], "without a key"),
        (["start", "--preset", "fast"], "--preset must be one of adaptive, lan, wan, local, memberlist, memberlist-wan"),
        (["start", "--http", "10.1.2.3:7947"], "--http-token-file"),
        (["start", "--name", "bad name!"], "--name"),
        (["start", "--log-format", "xml"], "--log-format must be text or json"),
        (["start", "--config", "/nonexistent/mesh.json"], "cannot read config /nonexistent/mesh.json"),
        (["start", "--key-file", "/nonexistent/mesh.key"], "cannot read --key-file /nonexistent/mesh.key"),
        (["start", "--join", "nohost"], "--join must be HOST:PORT"),
        (["status", "--http", "nowhere"], "--http must be"),
    ])
    func badInput(arguments: [String], message: String) throws {
        let cluster = try TestCluster(subnet: 21)
        defer { cluster.shutdown() }
        let (status, output) = try Self.run(arguments, in: cluster)
        #expect(status == 2, "exit status for \(arguments)")
        let lines = Self.errorLines(output)
        #expect(lines.count == 1, "one line: \(output)")
        #expect(lines.first?.hasPrefix("mesh: ") == true)
        #expect(output.contains(message), "\(output)")
    }

    @Test("a malformed key file, an unknown config key and a taken port are refused")
    func badFilesAndTakenPort() throws {
        let cluster = try TestCluster(subnet: 22)
        defer { cluster.shutdown() }
        let key = cluster.directory + "/bad.key"
        try "not a key\n".write(toFile: key, atomically: true, encoding: .utf8)
        var (status, output) = try Self.run(["start", "--key-file", key], in: cluster)
        #expect(status == 2)
        #expect(output.contains("key file \(key): line 1: not base64"), "\(output)")

        let config = cluster.directory + "/mesh.json"
        try #"{"name": "a", "bindd": "127.0.0.1:1"}"#.write(toFile: config, atomically: true, encoding: .utf8)
        (status, output) = try Self.run(["start", "--config", config], in: cluster)
        #expect(status == 2)
        #expect(output.contains("unknown key 'bindd'"), "\(output)")

        try cluster.start("first", index: 1)
        cluster.waitUntil("the first node answers", timeout: 10) { cluster.status("first") != nil }
        (status, output) = try Self.run(["start", "--name", "second", "--bind", cluster.address(1),
                                         "--http", cluster.httpAddress(2)], in: cluster)
        #expect(status == 1)
        #expect(output.contains("cannot listen on \(cluster.address(1))"), "\(output)")
        #expect(output.contains("in use"), "\(output)")
        #expect(Self.errorLines(output).count == 1, "\(output)")
    }

    @Test("a restart with the same data directory keeps the name and raises the incarnation")
    func dataDirectoryKeepsIdentity() throws {
        let cluster = try TestCluster(subnet: 23)
        defer { cluster.shutdown() }
        try cluster.start("keeper", index: 1)
        cluster.waitUntil("keeper answers", timeout: 10) { cluster.status("keeper") != nil }
        let first = try #require(cluster.status("keeper")?.incarnation)
        let process = try #require(cluster.process("keeper"))
        process.signal(SIGTERM)
        #expect(process.waitForExit(timeout: 10) == 0)

        // No --name this time: the data directory supplies it.
        try cluster.launch("keeper", index: 1, arguments: [
            "start", "--bind", cluster.address(1), "--http", cluster.httpAddress(1),
            "--data", cluster.dataDirectory("keeper"), "--exit-with-parent"])
        cluster.waitUntil("keeper answers again", timeout: 10) { cluster.status("keeper") != nil }
        let again = try #require(cluster.status("keeper"))
        #expect(again.selfName == "keeper")
        #expect(again.incarnation > first)

        let (status, output) = try Self.run(["start", "--name", "other", "--bind", cluster.address(2),
                                             "--http", "off", "--data", cluster.dataDirectory("keeper")], in: cluster)
        // Locked by a running node: the node cannot run now (1), not a mistake in flags (2), so
        // systemd's RestartPreventExitStatus=2 does not stop it from trying again later.
        #expect(status == 1, "\(output)")
        #expect(output.contains("in use by another running node"), "\(output)")
        #expect(Self.errorLines(output).count == 1, "\(output)")
    }
}
