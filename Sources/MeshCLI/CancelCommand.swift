import MeshCore
import MeshRuntime

extension MeshCommandLine {
    static let cancelCommand = Command(
        name: "cancel", summary: "cancel a task from any node: stop its attempt (every process) and record cancelled",
        usage: "cancel ID [--json] [--http ADDR:PORT]",
        options: clientOptions + [.flag("json", "print the cancelled task's record as JSON")]) { arguments in
        guard arguments.positionals.count == 1, let text = arguments.positionals.first else {
            throw UsageError("cancel takes one task id (see mesh cancel --help)")
        }
        guard let id = TaskID(text) else { throw UsageError("'\(text.prefix(80))' is not a task id (32 hex digits, as mesh submit prints)") }
        let client = try controlClient(arguments)
        let answer: TaskAnswer
        do throws(ControlClient.Failure) { answer = try client.cancelTask(id) } catch {
            printError(error.description)
            return 1
        }
        guard answer.isSuccess else {
            printError(answer.errorMessage + (answer.status == 404 ? Self.partialNote(answer.json) : ""))
            return 1
        }
        print(arguments.has("json") ? answer.json.serialized() : "cancelled \(id)")
        return 0
    }
}
