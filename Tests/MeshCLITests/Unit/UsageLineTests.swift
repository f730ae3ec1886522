@testable import MeshCLI
import Testing

@Suite("Every command's usage line lists every option it accepts")
struct UsageLineTests {
    @Test("each option appears in its command's usage line, and only once")
    func usageListsEveryOption() {
        for command in MeshCommandLine.commands {
            let words = command.usageLine.split(whereSeparator: { " []|.".contains($0) }).map(String.init)
            for option in command.options {
                #expect(words.filter { $0 == "--" + option.name }.count == 1, "mesh \(command.name): --\(option.name) in '\(command.usageLine)'")
            }
            #expect(command.helpText.hasPrefix("usage: " + command.usageLine))
            #expect(!command.usageLine.contains("[options]"))
        }
    }
}
