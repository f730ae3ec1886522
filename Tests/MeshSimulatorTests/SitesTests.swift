import Foundation
import Testing
@testable import MeshCore
@testable import MeshSimulator

/// Sites: named groups of nodes with a link inside each and one between each pair.
@Suite struct SitesTests {
    static func parse(_ text: String) throws -> Scenario { try Scenario.parse(text, name: "test") }

    static let twoSites = """
    {"nodes": 6, "durationSeconds": 30, "link": {"delayMs": 7},
     "sites": [{"name": "a", "nodes": "0-2", "link": {"delayMs": 1, "jitterMs": 0}},
               {"name": "b", "nodes": [3, 4], "link": {"delayMs": 2, "jitterMs": 0}}],
     "siteLinks": [{"between": ["a", "b"], "link": {"delayMs": 80, "jitterMs": 0, "loss": 0.5}}]}
    """

    @Test func eachPairOfNodesGetsItsSitesLinkAndNodesOutsideEverySiteTheTopLevelOne() throws {
        let s = try Self.parse(Self.twoSites)
        #expect(s.link(from: 0, to: 2).delay == .milliseconds(1))
        #expect(s.link(from: 3, to: 4).delay == .milliseconds(2))
        #expect(s.link(from: 1, to: 4).delay == .milliseconds(80) && s.link(from: 4, to: 1).loss == 0.5)
        #expect(s.link(from: 5, to: 0).delay == .milliseconds(7) && s.link(from: 0, to: 5).delay == .milliseconds(7))
    }

    @Test(arguments: [
        ("\"siteLinks\": []", "no link between 'a' and 'b'"),
        ("\"siteLinks\": [{\"between\": [\"a\", \"c\"]}]", "must name two different sites"),
        ("\"siteLinks\": [{\"between\": [\"a\", \"a\"]}]", "must name two different sites"),
    ])
    func everyPairOfSitesNeedsExactlyOneLink(_ replacement: String, _ message: String) {
        let text = Self.twoSites.replacingOccurrences(
            of: "\"siteLinks\": [{\"between\": [\"a\", \"b\"], \"link\": {\"delayMs\": 80, \"jitterMs\": 0, \"loss\": 0.5}}]",
            with: replacement)
        do {
            _ = try Self.parse(text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    @Test func aNodeInTwoSitesOrASiteNamedTwiceIsAnError() {
        for text in [Self.twoSites.replacingOccurrences(of: "[3, 4]", with: "[2, 3]"),
                     Self.twoSites.replacingOccurrences(of: "\"name\": \"b\"", with: "\"name\": \"a\"")] {
            #expect(throws: ScenarioError.self) { try Self.parse(text) }
        }
    }

    /// The adaptive detector measures the slow link between the sites and a crash in one site is
    /// still seen dead in the other, with no live member declared dead.
    @Test func aMeshOfTwoSitesDetectsACrashAcrossTheSlowLinkWithoutFalseDeaths() throws {
        let text = """
        {"seed": 3, "nodes": 8, "durationSeconds": 60, "convergenceBoundSeconds": 60,
         "sites": [{"name": "a", "nodes": "0-3"}, {"name": "b", "nodes": "4-7"}],
         "siteLinks": [{"between": ["a", "b"], "link": {"delayMs": 100, "jitterMs": 30, "loss": 0.02}}],
         "crashes": {"count": 3, "firstSeconds": 15, "gapSeconds": [5, 8], "downSeconds": [15, 20]}}
        """
        let report = Simulation(scenario: try Self.parse(text)).run()
        #expect(report.crashesUndetected == 0 && report.crashes == 3)
        #expect(report.falseDeadCount == 0 && report.invariantViolations == 0)
        #expect((report.deadEverywhereMedianSeconds ?? .infinity) < 6)
    }
}
