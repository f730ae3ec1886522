import MeshCore
@testable import MeshCLI
import MeshRuntime
import Testing

@Suite("The config file's \"tasks\" key")
struct TaskConfigTests {
    /// The problems `mesh check-config` lists for `text`.
    static func problems(_ text: String) -> [String] {
        ConfigCheck(path: "node.json", read: { _ in text }).problems
    }

    @Test("a good \"tasks\" object is read into the plan; without it the defaults hold")
    func readIntoPlan() throws {
        let file = """
        {"name": "a",
         "tasks": {"finishedRetention": "48h", "logCompactionFloor": 64}}
        """
        let plan = try StartPlanTests.plan(["--config", "node.json"], file: file)
        #expect(plan.tasks.finishedRetention == .seconds(48 * 3_600))
        #expect(plan.tasks.logCompactionFloor == 64)
        #expect(Self.problems(file).isEmpty)

        let defaults = try StartPlanTests.plan(["--config", "node.json"], file: #"{"name": "a"}"#)
        #expect(defaults.tasks.finishedRetention == .seconds(7 * 86_400))
        #expect(defaults.tasks.logCompactionFloor == 4_096)

        let bounds = try StartPlanTests.plan(["--config", "node.json"],
                                             file: #"{"tasks": {"finishedRetention": "87600h", "logCompactionFloor": 1000000000}}"#)
        #expect(bounds.tasks.finishedRetention == TaskSettings.finishedRetentionMax)
        #expect(bounds.tasks.logCompactionFloor == TaskSettings.logCompactionFloorRange.upperBound)
    }

    @Test("each mistake is reported with its path, line and column", arguments: [
        (#"{"tasks": {"finishedRetention": "24h", "colour": 1}}"#, "line 1, column 50: tasks.colour: unknown key 'colour'"),
        (#"{"tasks": {"finishedRetention": "23h"}}"#, "line 1, column 33: tasks.finishedRetention: must be a duration"),
        (#"{"tasks": {"finishedRetention": "87601h"}}"#, "tasks.finishedRetention: must be a duration"),
        (#"{"tasks": {"finishedRetention": 86400}}"#, "tasks.finishedRetention: must be a duration"),
        (#"{"tasks": {"logCompactionFloor": 63}}"#, "line 1, column 34: tasks.logCompactionFloor: must be a whole number from 64"),
        (#"{"tasks": {"logCompactionFloor": 100.5}}"#, "tasks.logCompactionFloor: must be a whole number"),
        (#"{"tasks": {"logCompactionFloor": "4096"}}"#, "tasks.logCompactionFloor: must be a whole number"),
        (#"{"tasks": {"logCompactionFloor": 1000000001}}"#, "tasks.logCompactionFloor: must be a whole number"),
        (#"{"tasks": [64]}"#, "line 1, column 11: tasks: must be an object"),
    ])
    func mistakes(text: String, message: String) throws {
        let problems = Self.problems(text)
        #expect(problems.count == 1, "\(problems)")
        #expect(problems.first?.hasPrefix("line 1, column ") == true && problems.first?.contains(message) == true, "\(problems)")
        #expect { try StartPlanTests.plan(["--config", "node.json"], file: text) } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test("check-config lists every mistake in \"tasks\" at once, and knows the key")
    func allAtOnce() {
        let problems = Self.problems("""
        {"tasks": {"finishedRetention": "1h",
                   "logCompactionFloor": 8,
                   "keep": true}}
        """)
        #expect(problems.count == 3, "\(problems)")
        for expected in ["line 1, column 33: tasks.finishedRetention", "line 2, column 34: tasks.logCompactionFloor",
                         "line 3, column 20: tasks.keep: unknown key"] {
            #expect(problems.contains { $0.hasPrefix(expected) }, "\(expected) in \(problems)")
        }
        #expect(!problems.contains { $0.contains("unknown key 'tasks'") })
    }
}
