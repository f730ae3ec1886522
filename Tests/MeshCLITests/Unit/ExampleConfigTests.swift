import Foundation
@testable import MeshCLI
import MeshRuntime
import Testing

@Suite("The example configs in configs/ are valid")
struct ExampleConfigTests {
    static let configs = (#filePath as NSString).deletingLastPathComponent + "/../../../configs"

    @Test("each example parses and validates", arguments: ["node.example.json", "local.example.json"])
    func example(file: String) throws {
        let path = Self.configs + "/" + file
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let settings = try StartSettings.fromConfigFile(text, path: path)
        let plan = try StartPlan.validate(settings)
        #expect(plan.name != nil)
        #expect(plan.keyFile != nil, "examples show a key")
    }
}
