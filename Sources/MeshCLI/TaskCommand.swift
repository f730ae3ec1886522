import Foundation
import Glibc
import MeshCore
import MeshRuntime

extension MeshCommandLine {
    static let taskCommand = Command(
        name: "task", summary: "show one task and its history, from any node",
        usage: "task ID [--json] [--http ADDR:PORT]",
        options: clientOptions + [.flag("json", "print {\"id\", \"state\", \"attempt\", \"owner\", \"history\": [...]}")]) { arguments in
        guard arguments.positionals.count == 1, let text = arguments.positionals.first else {
            throw UsageError("task takes one task id (see mesh task --help)")
        }
        guard let id = TaskID(text) else { throw UsageError("'\(text.prefix(80))' is not a task id (32 hex digits, as mesh submit prints)") }
        let client = try controlClient(arguments)
        let answer: TaskAnswer
        do throws(ControlClient.Failure) { answer = try client.task(id) } catch {
            printError(error.description)
            return 1
        }
        guard answer.isSuccess else {
            printError(answer.errorMessage + (answer.status == 404 ? Self.partialNote(answer.json) : ""))
            return 1
        }
        print(arguments.has("json") ? answer.json.serialized(pretty: true) : TaskTable.record(answer.json))
        return 0
    }

    static let tasksCommand = Command(
        name: "tasks", summary: "list the tasks of the whole mesh, from any node",
        usage: "tasks [--state S] [--json] [--http ADDR:PORT]",
        options: clientOptions + [
            .value("state", "S", "only tasks in this state: " + TaskState.allCases.map(\.rawValue).joined(separator: ", ")),
            .flag("json", "print the /v1/tasks answer as JSON"),
        ]) { arguments in
        try expectNoArguments(arguments, command: "tasks")
        var state: TaskState?
        if let text = arguments.value("state") {
            guard let parsed = TaskState(rawValue: text) else {
                throw UsageError("--state must be one of \(TaskState.allCases.map(\.rawValue).joined(separator: ", ")) (got '\(text)')")
            }
            state = parsed
        }
        let client = try controlClient(arguments)
        let answer: TaskAnswer
        do throws(ControlClient.Failure) { answer = try client.tasks(state: state) } catch {
            printError(error.description)
            return 1
        }
        guard answer.isSuccess else { return refusalStatus(answer) }
        print(arguments.has("json") ? answer.json.serialized(pretty: true) : TaskTable.listing(answer.json))
        return 0
    }

    /// How long `mesh submit --wait` keeps asking while no node answers for the task (the node it
    /// talks to restarting, a takeover under way) before it gives up.
    static let waitUnansweredMax: Nanoseconds = .seconds(60)

    /// Polls the task until it reaches a terminal state; prints its record as one JSON object.
    /// 0 only when it succeeded.
    static func waitForTask(_ id: TaskID, client: ControlClient) -> Int32 {
        var pauseMicroseconds: UInt32 = 50_000
        var unansweredSince: Int64?
        var lastProblem = ""
        while true {
            do throws(ControlClient.Failure) {
                let answer = try client.task(id)
                if answer.isSuccess, let state = answer.json["state"]?.string.flatMap(TaskState.init(rawValue:)) {
                    unansweredSince = nil
                    if state.isTerminal {
                        print(answer.json.serialized())
                        return state == .succeeded ? 0 : 1
                    }
                } else {
                    lastProblem = answer.errorMessage
                }
            } catch {
                lastProblem = error.description
            }
            let now = SystemClock.monotonicNanoseconds()
            if !lastProblem.isEmpty {
                let since = unansweredSince ?? now
                unansweredSince = since
                if now - since > waitUnansweredMax {
                    printError("gave up waiting for task \(id): \(lastProblem)")
                    return 1
                }
                lastProblem = ""
            }
            usleep(pauseMicroseconds)   // the polling interval, growing to 0.5 s
            pauseMicroseconds = min(pauseMicroseconds * 2, 500_000)
        }
    }

    /// ` (answered by 3 of 5 members: a node holding it may be down)` when not every member answered.
    static func partialNote(_ json: JSONValue) -> String {
        guard let asked = ControlError.detail("membersAsked", in: json)?.integer,
              let answered = ControlError.detail("membersAnswered", in: json)?.integer,
              answered < asked else { return "" }
        return " (answered by \(answered) of \(asked) members: a node holding it may be down)"
    }
}
