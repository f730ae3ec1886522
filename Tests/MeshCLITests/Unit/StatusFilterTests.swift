import Testing
@testable import MeshCLI
import MeshCore
import MeshRuntime

/// `mesh status --state S --name GLOB --detailed`.
@Suite struct StatusFilterTests {
    static func member(_ name: String, _ state: String, isSelf: Bool = false) -> MemberReport {
        MemberReport(name: name, address: "127.0.0.1:1", state: state, incarnation: 1, lastHeardSecondsAgo: nil,
                     rttMilliseconds: nil, stateChangedSecondsAgo: 1, isSelf: isSelf)
    }
    static let report = StatusReport(selfName: "web-1", incarnation: 2, members: [
        member("web-1", "alive", isSelf: true), member("web-2", "dead"), member("db-1", "alive"), member("db-2", "left"),
    ], drops: [:])

    /// A capacity record as `/v1/status` gives it: one profile `claude` with `profileTags`.
    static func recordJSON(tags: [String], profileTags: [String]) -> String {
        func list(_ items: [String]) -> String { "[" + items.map { "\"\($0)\"" }.joined(separator: ",") + "]" }
        return """
        {"version": 1, "incarnation": 1, "ageSeconds": 0.5, "tags": \(list(tags)),
         "profiles": [{"name": "claude", "slots": 2, "busy": 0, "tags": \(list(profileTags))}]}
        """
    }

    static func filter(_ arguments: [String]) throws -> StatusFilter {
        try StatusFilter(ParsedArguments(arguments, specs: StatusFilter.options))
    }

    @Test(arguments: [("web-*", "web-1", true), ("*-1", "db-1", true), ("web-?", "web-12", false), ("*", "", true),
                      ("a*b*c", "aXbYc", true), ("a*b*c", "aXbY", false), ("db-1", "db-1", true), ("?", "", false)])
    func globsMatchLikeAShell(_ pattern: String, _ name: String, _ matches: Bool) {
        #expect(Glob.matches(pattern, name) == matches)
    }

    @Test func stateAndNameFiltersCombine() throws {
        #expect(try Self.filter(["--state", "alive"]).apply(Self.report).members.map(\.name) == ["web-1", "db-1"])
        #expect(try Self.filter(["--state", "dead,left"]).apply(Self.report).members.map(\.name) == ["web-2", "db-2"])
        #expect(try Self.filter(["--name", "web-*", "--state", "alive"]).apply(Self.report).members.map(\.name) == ["web-1"])
        #expect(try Self.filter([]).apply(Self.report).members.count == 4)
    }

    @Test func aTagFilterKeepsMembersWhoseRecordCarriesEveryTag() throws {
        var gpu = Self.member("gpu-1", "alive")
        var tagged = try CapacityReport(json: JSONValue.parse(Self.recordJSON(tags: ["gpu"], profileTags: ["research"])))
        gpu.capacity = tagged
        var plain = Self.member("cpu-1", "alive")
        tagged = try CapacityReport(json: JSONValue.parse(Self.recordJSON(tags: [], profileTags: [])))
        plain.capacity = tagged
        let report = StatusReport(selfName: "gpu-1", incarnation: 1, members: [gpu, plain, Self.member("new-1", "alive")], drops: [:])
        #expect(try Self.filter(["--tag", "gpu"]).apply(report).members.map(\.name) == ["gpu-1"])
        #expect(try Self.filter(["--tag", "research"]).apply(report).members.map(\.name) == ["gpu-1"], "a profile's tag counts")
        #expect(try Self.filter(["--tag", "gpu,research"]).apply(report).members.map(\.name) == ["gpu-1"])
        #expect(try Self.filter(["--tag", "gpu,review"]).apply(report).members.isEmpty, "every tag must be carried")
        #expect(throws: UsageError.self) { try Self.filter(["--tag", ","]) }
    }

    @Test func anUnknownStateIsAnErrorThatNamesTheFlag() {
        #expect(throws: UsageError.self) { try Self.filter(["--state", "gone"]) }
        do { _ = try Self.filter(["--state", "alive,"]) } catch { Issue.record("a trailing comma is allowed: \(error)") }
    }

    @Test func theDetailedViewShowsEveryFieldOfEachMember() {
        var report = Self.report
        report.members[1].keyFingerprint = "00112233aabbccdd"
        let text = StatusDetail.render(report)
        for key in ["address", "state", "incarnation", "lastHeardSecondsAgo", "rttMilliseconds", "stateChangedSecondsAgo",
                    "isSelf", "keyFingerprint"] {
            #expect(text.components(separatedBy: "  \(key) ").count - 1 == 4, "\(key) in every block")
        }
        #expect(text.contains("web-1 (self)") && text.contains("00112233aabbccdd"))
    }
}
