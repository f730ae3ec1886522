import Foundation
import Glibc
import MeshCore
import MeshRuntime

extension MeshCommandLine {
    static let submitCommand = Command(
        name: "submit", summary: "submit a task to the mesh through any node; prints its id",
        usage: "submit --profile P (--prompt TEXT | --prompt-file F) [--affinity K] [--tag T]... [--timeout DUR] "
            + "[--attempts N] [--idempotency-key K] [--expect NAME]... [--attach FILE]... [--wait] [--json] [--http ADDR:PORT]",
        options: clientOptions + [
            .value("profile", "P", "the agent profile to run (a member must advertise it)"),
            .value("prompt", "TEXT", "the task's input (at most 1 MiB)"),
            .value("prompt-file", "F", "read the input from file F ('-': standard input)"),
            .value("affinity", "K", "tasks with the same affinity key prefer the same node"),
            .repeated("tag", "T", "a tag the executing node must carry (repeatable)"),
            .value("timeout", "DUR", "longest an attempt may run: 90s, 5m, 1h (default 1h; 1s to 24h)"),
            .value("attempts", "N", "most attempts after failures (default \(TaskLimits.attemptsDefault))"),
            .value("idempotency-key", "K", "a resubmission with the same key lands on the same task"),
            .repeated("expect", "NAME", "a declared output: an attempt that exits 0 without artifacts/NAME fails (repeatable)"),
            .repeated("attach", "FILE", "send FILE with the task: uploaded first, hash-checked, in the agent's inbox/ under its base name (repeatable)"),
            .flag("wait", "wait until the task ends; print its record as one JSON object; exit 0 only on succeeded"),
            .flag("json", "print {\"id\", \"state\", \"copies\"} instead of the id"),
        ]) { arguments in
        try expectNoArguments(arguments, command: "submit")
        var spec = try submissionSpec(arguments)
        let client = try controlClient(arguments)
        if !arguments.all("attach").isEmpty {
            spec.attachments = try uploadAttachments(arguments.all("attach"), client: client)
            if let problem = spec.validationError() { throw UsageError("--attach: \(problem.message)") }
        }
        let answer: TaskAnswer
        do throws(ControlClient.Failure) { answer = try client.submitTask(spec) } catch {
            printError(error.description)
            return 1
        }
        guard answer.isSuccess, let idText = answer.json["id"]?.string, let id = TaskID(idText) else {
            return refusalStatus(answer)
        }
        if arguments.has("wait") { return waitForTask(id, client: client) }
        print(arguments.has("json") ? answer.json.serialized() : idText)
        let copies = answer.json["copies"]?.integer ?? 0
        if copies < 2 && !arguments.has("json") { printError("note: the task is stored on \(copies) node only (a node alone)") }
        return 0
    }

    /// The spec the flags describe, checked here so that a mistake names its flag (exit 2).
    static func submissionSpec(_ arguments: ParsedArguments) throws(UsageError) -> TaskSpec {
        guard let profile = arguments.value("profile") else { throw UsageError("submit needs --profile P (see mesh submit --help)") }
        let prompt: String
        switch (arguments.value("prompt"), arguments.value("prompt-file")) {
        case (let text?, nil): prompt = text
        case (nil, let path?): prompt = try readPrompt(path)
        case (nil, nil): throw UsageError("submit needs --prompt TEXT or --prompt-file F")
        case (_?, _?): throw UsageError("give --prompt or --prompt-file, not both")
        }
        var spec = TaskSpec(profile: profile, prompt: prompt, affinity: arguments.value("affinity") ?? "",
                            tags: arguments.all("tag"), idempotencyKey: arguments.value("idempotency-key"))
        spec.expect = arguments.all("expect")
        for name in spec.expect {
            if let problem = TaskFile.nameError(name) { throw UsageError("--expect '\(name.prefix(80))': \(problem)") }
        }
        if let text = arguments.value("timeout") {
            guard let timeout = TaskDuration.parse(text) else {
                throw UsageError("--timeout must be a duration like 90s, 5m or 1h (got '\(text)')")
            }
            spec.timeout = timeout
        }
        spec.attemptsMax = UInt32(try arguments.integer("attempts", default: Int(TaskLimits.attemptsDefault),
                                                        in: Int(TaskLimits.attemptsMin)...Int(TaskLimits.attemptsMax)))
        if let problem = spec.validationError() { throw UsageError("\(flagName(problem.field)) \(problem.message)") }
        return spec
    }

    /// The flag that sets a submission field.
    static func flagName(_ field: String) -> String {
        switch field {
        case "tags": "--tag"
        case "idempotencyKey": "--idempotency-key"
        case "body": "the submission"
        default: "--" + field
        }
    }

    private static func readPrompt(_ path: String) throws(UsageError) -> String {
        let bytes: Bytes
        if path == "-" {
            bytes = Bytes(FileHandle.standardInput.readData(ofLength: TaskLimits.promptBytesMax + 1))
        } else {
            do { bytes = try Files.read(path, bytesMax: TaskLimits.promptBytesMax + 1) } catch {
                throw UsageError("cannot read --prompt-file \(path): \(error.reason)")
            }
        }
        guard bytes.count <= TaskLimits.promptBytesMax else {
            throw UsageError("--prompt-file \(path) is over \(TaskLimits.promptBytesMax) bytes (the prompt limit)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw UsageError("--prompt-file \(path) is not UTF-8") }
        return text
    }

    /// Prints a refused request's reason. 2 when the request must change (400: a bad field, an
    /// unknown profile), 1 when the mesh could not take it now (503, anything else).
    static func refusalStatus(_ answer: TaskAnswer) -> Int32 {
        if answer.status == 400, let field = answer.field {
            printError("the node refused \(flagName(field)): \(answer.errorMessage)")
        } else {
            let isNothingCreated = ["busy", "no_eligible_node", "disk_full", "leaving", "not_stored"].contains(answer.errorCode ?? "")
            printError(answer.errorMessage + (isNothingCreated ? " (nothing was created; try again later)" : ""))
        }
        return answer.status == 400 ? 2 : 1
    }
}
