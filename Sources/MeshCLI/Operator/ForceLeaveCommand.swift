import MeshCore
import MeshRuntime

extension MeshCommandLine {
    static let forceLeaveCommand = Command(
        name: "force-leave", summary: "mark a dead member left everywhere, so every node forgets it",
        usage: "force-leave NAME [--http ADDR:PORT] [--json]",
        options: clientOptions + [jsonOption]) { arguments in
        guard arguments.positionals.count == 1, let name = arguments.positionals.first else {
            throw UsageError("force-leave takes one member NAME (got \(arguments.positionals.count) arguments); see mesh force-leave --help")
        }
        let client = try controlClient(arguments)
        let answer = callNode(client, "POST", "/v1/force-leave", body: .object([("name", .string(name))]))
        return printAnswer(answer, arguments) { _ in
            "\(name) is marked left; every member forgets it after the retention period"
        }
    }
}
