import Foundation
import Glibc
import MeshCore
import MeshRuntime
import Testing

/// What `mesh` writes when its output is not a terminal: no control codes.
@Suite("Real nodes: no control codes unless standard output is a terminal", .timeLimit(.minutes(5)))
struct TerminalHygieneTests {
    @Test("status --watch into a file writes no escape codes: with --json, one JSON object per line")
    func watchIntoAPipe() throws {
        let cluster = try TestCluster(subnet: 64)
        defer { cluster.shutdown() }
        try cluster.start("a", index: 1)
        cluster.waitUntil("a answers", timeout: 10) { cluster.status("a") != nil }
        for json in [true, false] {
            let name = json ? "watch-json" : "watch-text"
            let watcher = try cluster.launch(name, index: 1, arguments: ["status", "--watch", "--interval", "1",
                                                                         "--http", cluster.httpAddress(1)] + (json ? ["--json"] : []))
            cluster.waitUntil("two redraws", timeout: 10) {
                cluster.log(name).components(separatedBy: json ? "\n" : "\n\n").filter { !$0.isEmpty }.count >= 2
            }
            watcher.kill()
            let output = cluster.log(name)
            #expect(!output.unicodeScalars.contains("\u{1B}"), "\(name): \(output.debugDescription)")
            if json {
                for line in output.split(separator: "\n") {
                    #expect((try? StatusReport(json: JSONValue.parse(String(line))))?.selfName == "a", "\(line)")
                }
            } else {
                #expect(output.contains("1 member: 1 alive (seen by a"), "\(output)")
            }
        }
        let (status, output) = cluster.runCapturing(["status", "--interval", "2", "--http", cluster.httpAddress(1)])
        #expect(status == 2 && output.contains("--interval needs --watch"), "\(output)")
    }
}
