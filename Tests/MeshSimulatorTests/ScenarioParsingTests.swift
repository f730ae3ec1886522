import Foundation
import Testing
@testable import MeshCore
@testable import MeshSimulator

/// Scenario files are read by the same strict JSON parser as the node's config: a mistake is an
/// error with its line and column, never a silently different scenario.
@Suite struct ScenarioParsingTests {
    static func parse(_ text: String) throws -> Scenario { try Scenario.parse(text, name: "test") }

    @Test(arguments: [
        ("{\"nodes\": 3, \"durationSeconds\": 10,}", "test: not valid JSON (expected a key in quotes at line 1, column 36)"),
        ("{\"nodes\": 3,\n \"nodes\": 4, \"durationSeconds\": 10}", "test: not valid JSON (key 'nodes' repeated at line 2, column 9)"),
        ("{\"nodes\": 3, \"durationSeconds\": 10,\n \"events\": [{\"at\": 1, \"action\": \"heal\"},]}", "not valid JSON (unexpected character at line 2, column 41)"),
        ("{\"nodes\": 3, \"durationSeconds\": 10} // ten", "not valid JSON (unexpected text after the JSON value at line 1, column 37)"),
        ("{\"nodes\": 3, \"durationSeconds\": 10, \"link\": {\"loss\": 0.1, \"loss\": 0.2}}", "key 'loss' repeated at line 1"),
    ])
    func strictJSONErrorsGiveALineAndColumn(_ text: String, _ message: String) {
        do {
            _ = try Self.parse(text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    /// Not only syntax: a value that parses but is wrong for the scenario names its line and column
    /// too (columns count bytes from 1), and an unknown key lists the known ones.
    @Test(arguments: [
        ("{\"nodes\": 3,\n \"durationSeconds\": \"ten\"}", "test.durationSeconds: must be a number from 1.0 to 1000000.0 (line 2, column 21)"),
        ("{\"nodes\": 3, \"durationSeconds\": 10,\n \"events\": [{\"at\": 1, \"action\": \"heal\"},\n  {\"at\": 2, \"action\": \"crash\", \"node\": 7}]}",
         "test.events[1].node: must be a whole number from 0 to 2 (line 3, column 40)"),
        ("{\"nodes\": 3, \"durationSeconds\": 10,\n \"link\": {\"delay\": 1}}",
         "test.link.delay: unknown key 'delay' (known keys: delayMs, jitterMs, loss, duplicate, bandwidthMbps, connectMs) (line 2, column 20)"),
        ("{\"durationSeconds\": 10}", "test.nodes: is required (line 1, column 1)"),
        ("{\"nodes\": 3, \"durationSeconds\": 10, \"expect\": {\"crashez\": 0}}", "test.expect.crashez: unknown key 'crashez'"),
        ("{\"nodes\": 3, \"durationSeconds\": 10, \"expect\": {\"crashez\": 0}}", "(line 1, column 59)"),
        ("{\"nodes\": 3, \"durationSeconds\": 10, \"events\": [{\"at\": 11, \"action\": \"heal\"}]}", "after durationSeconds (line 1, column 1)"),
    ])
    func everyMistakeNamesItsLineAndColumn(_ text: String, _ message: String) {
        do {
            _ = try Self.parse(text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    @Test func bytesThatAreNotUTF8AreRefused() {
        #expect(throws: ScenarioError.self) { try Scenario.parse(Data([0x7B, 0xFF, 0x7D]), name: "test") }
    }

    @Test func aNodeIndexMustBeAWholeNumberWithinTheMesh() {
        for groups in ["[[0, 1.5], [2]]", "[[0, \"1\"], [2]]", "[[0, 3], [2]]"] {
            #expect(throws: ScenarioError.self, "\(groups)") {
                try Self.parse("{\"nodes\": 3, \"durationSeconds\": 10, \"events\": [{\"at\": 1, \"action\": \"partition\", \"groups\": \(groups)}]}")
            }
        }
        #expect(throws: Never.self) {
            try Self.parse("{\"nodes\": 3, \"durationSeconds\": 10, \"events\": [{\"at\": 1, \"action\": \"partition\", \"groups\": [[0, 1.0], \"2-2\"]}]}")
        }
    }

    @Test func aSeedGivenToTheParserReplacesTheFilesAndDrivesTheGeneratedFaults() throws {
        let text = "{\"seed\": 1, \"nodes\": 5, \"crashes\": {\"count\": 3, \"gapSeconds\": [1, 9], \"downSeconds\": [1, 9]}, \"durationSeconds\": 10}"
        let written = try Self.parse(text)
        let reseeded = try Scenario.parse(text, name: "test", seed: 2)
        let again = try Scenario.parse(text, name: "test", seed: 2)
        #expect(written.seed == 1 && reseeded.seed == 2)
        #expect(reseeded.timeline == again.timeline)
        #expect(reseeded.timeline != written.timeline)
    }

    @Test func promisesKeepTheOrderWritten() throws {
        let s = try Self.parse("{\"nodes\": 3, \"durationSeconds\": 1, \"expect\": {\"falseDeadCount\": 0, \"crashes\": 0, \"convergedAfterSecondsMax\": 5}}")
        #expect(s.promises.map(\.key) == ["falseDeadCount", "crashes", "convergedAfterSecondsMax"])
    }
}
