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

    @Test("a health report carries the detector's timeouts in force through JSON; an older report without them reads as none")
    func healthReportTimeouts() throws {
        let timeouts = DetectorTimeouts(isAdaptive: true, healthMultiplier: 2, probeInterval: 1_600_000_000,
                                        probeTimeoutMin: 400_000_000, probeTimeoutMax: 1_000_000_000,
                                        slowestRoundTrip: 240_500_000, suspicionTimeoutMin: 1_681_000_000,
                                        suspicionTimeoutMax: 10_086_000_000)
        let report = HealthReport(selfName: "a", incarnation: 1, uptimeSeconds: 2, healthScore: 1, hasJoined: true,
                                  isLeaving: false, members: ["alive": 1], drops: [:], datagramDrops: [:],
                                  streamDrops: [:], counters: [:], timeouts: HealthReport.timeouts(timeouts))
        #expect(report.timeouts["probeTimeoutMax"] == 1_000 && report.timeouts["slowestRoundTrip"] == 240.5)
        #expect(report.timeouts["adaptive"] == 1 && report.timeouts["healthMultiplier"] == 2)
        let text = report.json.serialized()
        #expect(text.contains(#""timeoutsMilliseconds":{"#))
        #expect(try HealthReport(json: JSONValue.parse(text)) == report)
        let older = text.replacingOccurrences(of: #","timeoutsMilliseconds""#, with: #","ignoredByOlderReaders""#)
        #expect(try HealthReport(json: JSONValue.parse(older)).timeouts.isEmpty)
    }
}
