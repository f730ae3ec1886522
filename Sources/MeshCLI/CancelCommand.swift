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
        // 202: the owner is stopping the attempt (a long grace); wait for `cancelled` here.
        let record = answer.status == 202 ? client.awaitCancelled(id, cancelling: answer) : answer.json
        let state = record["state"]?.string ?? "unknown"
        guard state == TaskState.cancelled.rawValue else {
            printError("task \(id) is being cancelled: its owner sent the stop, but the task is still \(state); "
                       + "see mesh task \(id)")
            if arguments.has("json") { print(record.serialized()) }
            return 1
        }
        print(arguments.has("json") ? record.serialized() : "cancelled \(id)")
        return 0
    }
}
