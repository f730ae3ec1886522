import Foundation
import Glibc
import MeshCore
import MeshRuntime
import Testing
import MeshCore

/// What a node reads from disk at start (issue 7): a key file others can read is refused, and an
/// incarnation stored in `node.json` comes back exactly, however large.
@Suite("Real nodes: key file and stored incarnation", .timeLimit(.minutes(5)))
struct StoredStateTests {
    @Test("a key file readable by group or others is refused with one line naming chmod 600; mode 600 starts")
    func keyFilePermissions() throws {
        let cluster = try TestCluster(subnet: 72)
        defer { cluster.shutdown() }
        let key = cluster.directory + "/mesh.key"
        #expect(cluster.runInLauncher(["keygen", "--out", key]) != nil)
        #expect(Files.permissions(key) == 0o600, "keygen --out writes mode 600")
        for mode: mode_t in [0o644, 0o640, 0o604, 0o620] {
            #expect(chmod(key, mode) == 0)
            let name = "refused-\(String(mode, radix: 8))"
            let process = try cluster.launch(name, index: 1, arguments: [
                "start", "--name", "a", "--bind", cluster.address(1), "--http", "off", "--key-file", key])
            let status = process.waitForExit(timeout: 10)
            let lines = cluster.log(name).split(separator: "\n")
            #expect(status == 2, "mode \(String(mode, radix: 8)): \(lines)")
            #expect(lines.count == 1 && lines.first?.hasPrefix("mesh: ") == true, "\(lines)")
            #expect(lines.first?.contains("chmod 600 \(key)") == true, "\(lines)")
        }
        #expect(chmod(key, 0o600) == 0)
        try cluster.start("a", index: 1, keyFile: key)
        cluster.waitUntil("the node starts with a private key file", timeout: 10) { cluster.status("a") != nil }
    }

    /// Incarnations from 2^63 up are refused on the wire, so the core starts from at most
    /// `WireLimits.counterMax`; what storage owes it is to read 2^64-2 back exactly (before this
    /// issue, node.json held a clamped value or one it could not read back, and the node refused to
    /// start) and to store exactly what the node then uses.
    @Test("an incarnation of 2^64-2 stored in node.json is read exactly; the node starts from it and stores exactly what it uses")
    func largeIncarnation() throws {
        let cluster = try TestCluster(subnet: 74)
        defer { cluster.shutdown() }
        let stored = UInt64.max - 1
        let data = cluster.dataDirectory("big")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try #"{"name":"big","incarnation":\#(stored)}"#.write(toFile: data + "/node.json", atomically: true, encoding: .utf8)

        try cluster.start("big", index: 1)
        cluster.waitUntil("the node answers", timeout: 10) { cluster.status("big") != nil }
        let report = try #require(cluster.status("big"))
        #expect(report.incarnation >= min(stored, WireLimits.counterMax), "incarnation \(report.incarnation)")
        let text = try String(contentsOfFile: data + "/node.json", encoding: .utf8)
        #expect(try JSONValue.parse(text)["incarnation"]?.unsigned == report.incarnation, "\(text)")
    }
}
