@testable import MeshCLI
import Testing

@Suite("Every command's usage line lists every option it accepts")
struct UsageLineTests {
    @Test("each option appears in its command's usage line (a command with several forms may name one in each)")
    func usageListsEveryOption() {
        for command in MeshCommandLine.commands {
            let words = command.usageLine.split(whereSeparator: { " []|.".contains($0) }).map(String.init)
            for option in command.options {
                #expect(words.contains("--" + option.name), "mesh \(command.name): --\(option.name) in '\(command.usageLine)'")
            }
            #expect(command.helpText.hasPrefix("usage: " + command.usageLine))
            #expect(!command.usageLine.contains("[options]"))
        }
    }
}
