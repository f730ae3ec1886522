import Foundation
import Glibc
import MeshCore
@testable import MeshCLI
@testable import MeshRuntime
import Testing

/// `mesh mcp` driven by the `mcp` Python SDK (stdio_client + ClientSession, as an agent host
/// starts it) against two real nodes on 127.0.80.x with shell-script profiles.
@Suite("Real nodes: mesh mcp with the mcp Python SDK", .serialized, .timeLimit(.minutes(5)))
struct MCPClientTests {
    /// `ok` prints its prompt and a line on stderr and leaves the prompt as artifact `result.txt`;
    /// `slow` takes 30 s (to be cancelled).
    static let profiles = """
        {"profiles": [
          {"name": "ok", "command": ["/bin/sh", "-c", "cat; echo; echo to stderr >&2; cp inbox/prompt.md \\"${MESH_ARTIFACTS:-artifacts}/result.txt\\""], "slots": 2},
          {"name": "slow", "command": ["/bin/sh", "-c", "cat > /dev/null; sleep 30"], "slots": 2}
        ]}
        """

    @Test("the SDK lists the seven tools and calls each: submit+wait, logs, artifacts, cancel; a bogus id is a tool error and the session goes on",
          ClientRequirement.trait("mcp"))
    func sdkRoundTrip() async throws {
        let cluster = try TestCluster(subnet: 80)
        defer { cluster.shutdown() }
        try await cluster.startTaskNodes(2, profiles: Self.profiles)
        let served = Self.servedRoutes(cluster.client(1))
        let directory = cluster.directory + "/fetched"
        let (status, output) = await ClientScript.run("mcp_client.py", [MeshBinary.path, cluster.httpAddress(1), directory,
                                                                        served.joined(separator: ",")], timeout: 150)
        #expect(status == 0, "mcp_client.py (serving: \(served)) said:\n\(output)\n\(cluster.logTails())")
        let summary = try #require(Self.lastJSONLine(output), "no summary line in:\n\(output)")
        #expect(summary["protocolVersion"]?.string == MCPServer.protocolVersions[0])
        #expect(summary["autoVersion"]?.string == MCPServer.protocolVersions[0])
        #expect(summary["tools"]?.array?.count == 7 && summary["members"]?.integer == 2)
        #expect(summary["unknownTool"]?.integer == JSONRPC.Code.invalidParams)
        let bogus = summary["bogus"]?.array?.compactMap(\.string) ?? []
        #expect(bogus.count == 7 && bogus[0].contains("is not a task id") && bogus[1].contains("no such task"), "\(bogus)")
        #expect(bogus.last?.contains("unknown argument 'colour'") == true, "\(bogus)")
        if served.contains("artifacts") {
            let fetched = try String(contentsOfFile: directory + "/result.txt", encoding: .utf8)
            #expect(fetched == "hello from the mcp client\nsecond line")
        }
    }

    /// The routes of the evidence contract this node serves (`logs`, `artifacts`, `cancel`),
    /// probed with a task id nobody has: a node that serves a route answers `404 not_found`.
    static func servedRoutes(_ client: ControlClient) -> [String] {
        let nobody = String(repeating: "0", count: 32)
        let probes = [("logs", "GET", "/v1/tasks/\(nobody)/logs?attempt=1&from=0"),
                      ("artifacts", "GET", "/v1/tasks/\(nobody)/artifacts"), ("cancel", "POST", "/v1/tasks/\(nobody)/cancel")]
        return probes.compactMap { name, method, path in
            guard let response = try? client.fetch(method, path) else { return nil }
            return MeshTools.isNotServed(response) ? nil : name
        }
    }

    /// The last line of `output` that is a JSON object.
    static func lastJSONLine(_ output: String) -> JSONValue? {
        output.split(separator: "\n").reversed().lazy.compactMap { try? JSONValue.parse(String($0)) }.first { $0.object != nil }
    }
}
