import Foundation
import Glibc
import MeshRuntime
import Testing
import MeshCore

/// The control API and the client commands against a real node.
@Suite("Real nodes: control API and client commands", .timeLimit(.minutes(5)))
struct ControlAPITests {
    @Test("a node with a token refuses clients without it; mesh status prints the table; json logs are JSON")
    func tokenStatusAndLogs() throws {
        let cluster = try TestCluster(subnet: 16)
        defer { cluster.shutdown() }
        let tokenFile = cluster.directory + "/token"
        try "s3cret-token\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        try cluster.start("guarded", index: 1, extra: ["--http-token-file", tokenFile, "--log-format", "json"])
        let http = cluster.httpAddress(1)
        let client = ControlClient(endpoint: SocketEndpoint(parsing: http)!, token: "s3cret-token", timeout: .seconds(1))
        cluster.waitUntil("the node answers with its token", timeout: 10) { (try? client.status()) != nil }

        #expect(throws: ControlClient.Failure.status(401, message: "missing or wrong token (send Authorization: Bearer TOKEN)")) {
            try ControlClient(endpoint: SocketEndpoint(parsing: http)!).status()
        }
        // Refused for the token, not for failing to run or to connect: exit 1 with the server's reason.
        let refused = cluster.runCapturing(["status", "--http", http])
        #expect(refused.status == 1, "no token: exit 1: \(refused.output)")
        #expect(refused.output.contains("refused the request: missing or wrong token"), "\(refused.output)")
        let table = try #require(cluster.runInLauncher(["status", "--http", http, "--token-file", tokenFile]))
        #expect(table.hasPrefix("NAME"))
        #expect(table.contains("guarded (self)") && table.contains("1 member: 1 alive (seen by guarded"))
        let json = try #require(cluster.runInLauncher(["status", "--http", http, "--json"],
                                                      environment: ["MESH_HTTP_TOKEN": "s3cret-token"]))
        #expect(try StatusReport(json: JSONValue.parse(json)).selfName == "guarded")

        let health = try client.health()
        #expect(health.selfName == "guarded" && health.uptimeSeconds > 0 && health.healthScore == 0)
        #expect(health.drops.keys.contains("badTag"), "every drop reason is listed")
        #expect((health.counters["controlRequestsRejected"] ?? 0) >= 2)
        #expect(try client.exchange("GET", "/v1/nope").status == 404)
        #expect(try client.exchange("DELETE", "/v1/status").status == 405)

        // Every line the node logged is one JSON object. Only the command line's own start-up warning
        // (no key file), printed before the logger exists, is plain text; nothing else is skipped.
        let logLines = cluster.log("guarded").split(separator: "\n").filter { !$0.hasPrefix("mesh: warning: no --key-file") }
        #expect(logLines.count >= 2, "the node logs its start and the refused requests")
        for line in logLines {
            let entry = try #require(try? JSONValue.parse(String(line)), "not JSON: \(line)")
            #expect(entry["time"]?.string != nil && entry["level"]?.string != nil && entry["message"]?.string != nil, "\(line)")
        }
    }
}
