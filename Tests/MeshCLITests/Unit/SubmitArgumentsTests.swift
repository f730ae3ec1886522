import MeshCore
@testable import MeshCLI
import MeshRuntime
import Testing

@Suite("mesh submit: flags make a task spec, mistakes name their flag")
struct SubmitArgumentsTests {
    static func spec(_ list: [String]) throws -> TaskSpec {
        try MeshCommandLine.submissionSpec(ParsedArguments(list, specs: MeshCommandLine.submitCommand.options))
    }

    static func problem(_ list: [String]) -> String? {
        do {
            _ = try spec(list)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test("every flag lands in its field")
    func fields() throws {
        let spec = try Self.spec(["--profile", "claude", "--prompt", "hi", "--affinity", "repo:site", "--tag", "gpu",
                                  "--tag", "review", "--timeout", "90s", "--attempts", "5", "--idempotency-key", "k-1"])
        #expect(spec == TaskSpec(profile: "claude", prompt: "hi", affinity: "repo:site", tags: ["gpu", "review"],
                                 timeout: .seconds(90), attemptsMax: 5, idempotencyKey: "k-1"))
        #expect(try Self.spec(["--profile", "p", "--prompt", ""]).attemptsMax == TaskLimits.attemptsDefault)
    }

    @Test("mistakes are named by flag", arguments: [
        (["--prompt", "x"], "submit needs --profile P"),
        (["--profile", "p"], "submit needs --prompt TEXT or --prompt-file F"),
        (["--profile", "p", "--prompt", "x", "--prompt-file", "f"], "give --prompt or --prompt-file, not both"),
        (["--profile", "p", "--prompt", "x", "--timeout", "5 min"], "--timeout must be a duration like 90s, 5m or 1h (got '5 min')"),
        (["--profile", "p", "--prompt", "x", "--timeout", "25h"], "--timeout must be between 1s and 24h"),
        (["--profile", "p", "--prompt", "x", "--attempts", "0"], "--attempts must be a whole number from 1 to 20 (got '0')"),
        (["--profile", "bad name", "--prompt", "x"], "--profile must be 1 to 64 letters, digits, '-', '_' or '.'"),
        (["--profile", "p", "--prompt", "x", "--tag", ""], "--tag each tag must be 1 to 64 letters, digits, '-', '_' or '.'"),
        (["--profile", "p", "--prompt-file", "/nonexistent/brief.md"], "cannot read --prompt-file /nonexistent/brief.md"),
    ])
    func mistakes(_ list: [String], _ expected: String) {
        let problem = Self.problem(list)
        #expect(problem?.hasPrefix(expected) == true, "\(list): \(problem ?? "accepted")")
    }
}
