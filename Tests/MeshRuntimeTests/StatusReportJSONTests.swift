import MeshCore
import MeshRuntime
import Testing

/// The control API's status report through MeshCore's JSON (moved here from JSONTests when the
/// parser moved to MeshCore).
@Suite("Status report JSON")
struct StatusReportJSONTests {
    @Test("a status report survives JSON, nulls included")
    func statusReport() throws {
        let report = StatusReport(selfName: "a", incarnation: 4, members: [
            MemberReport(name: "a", address: "127.0.0.1:1", state: "alive", incarnation: 4, lastHeardSecondsAgo: 0,
                         rttMilliseconds: 0, stateChangedSecondsAgo: 1.5, isSelf: true),
            MemberReport(name: "b", address: "127.0.0.2:1", state: "suspect", incarnation: 2, lastHeardSecondsAgo: nil,
                         rttMilliseconds: nil, stateChangedSecondsAgo: 0.25, isSelf: false),
        ], drops: ["badTag": 3])
        let text = report.json.serialized()
        #expect(text.contains(#""lastHeardSecondsAgo":null"#))
        #expect(text.hasPrefix(#"{"self":"a","#))
        #expect(try StatusReport(json: JSONValue.parse(text)) == report)
    }
}
