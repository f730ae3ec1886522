import MeshCore
import MeshRuntime

extension MeshCommandLine {
    static let checkConfigCommand = Command(
        name: "check-config", summary: "check a node config file and say what is wrong, line by line",
        usage: "check-config FILE [--json]",
        options: [.flag("json", "print {\"file\", \"valid\", \"problems\": [...], \"profiles\": [...], \"tags\": [...]}")]) { arguments in
        guard arguments.positionals.count == 1, let path = arguments.positionals.first else {
            throw UsageError("check-config takes one FILE (got \(arguments.positionals.count) arguments); see mesh check-config --help")
        }
        let check = ConfigCheck(path: path, read: { try Files.readText($0, bytesMax: ConfigCheck.fileBytesMax) })
        if arguments.has("json") {
            print(check.json.serialized(pretty: true))
        } else if check.problems.isEmpty {
            let names = check.profiles.map { "\($0.name) (\($0.slots) slots)" }
            print("\(path): ok; profiles: \(names.isEmpty ? "none" : names.joined(separator: ", "))")
        } else {
            for problem in check.problems { print("\(path): \(problem)") }
        }
        return check.problems.isEmpty ? 0 : 1
    }
}

/// Every problem `mesh start --config FILE` would have with a config file, as lines with their
/// positions: unknown keys and profile problems all at once, then the first problem of the other
/// settings (as `mesh start` reports it).
struct ConfigCheck {
    /// A config file larger than this is refused unread.
    static let fileBytesMax = 1 << 20

    var problems: [String] = []
    var profiles: [AgentProfile] = []
    var tags: [String] = []
    let path: String

    init(path: String, read: (String) throws -> String) {
        self.path = path
        let text: String
        do {
            text = try read(path)
        } catch {
            problems.append("cannot read: \((error as? SystemError)?.reason ?? "\(error)")")
            return
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(text)
        } catch {
            problems.append("not valid JSON: \(error.description)")
            return
        }
        guard let fields = json.object else { problems.append("must be one JSON object"); return }
        let positions = JSONPositions(text)
        for (key, _) in fields where !StartSettings.fileKeys.contains(key) {
            problems.append("\(positions.position(of: key)): unknown key '\(key)' (known keys: \(StartSettings.fileKeys.joined(separator: ", ")))")
        }
        let section = ProfilesConfig(json: json, positions: positions)
        problems += section.problems
        profiles = section.profiles
        tags = section.tags
        guard problems.isEmpty else { return }
        do throws(UsageError) {
            _ = try StartPlan.validate(try StartSettings.fromConfigFile(text, path: path))
        } catch {
            let prefix = "config \(path): "
            problems.append(error.description.hasPrefix(prefix) ? String(error.description.dropFirst(prefix.count)) : error.description)
        }
    }

    var json: JSONValue {
        .object([
            ("file", .string(path)), ("valid", .bool(problems.isEmpty)),
            ("problems", .array(problems.map { .string($0) })),
            ("profiles", .array(profiles.map { p in
                .object([("name", .string(p.name)), ("command", .array(p.command.map { .string($0) })),
                         ("slots", .integer(Int64(p.slots))), ("tags", .array(p.tags.map { .string($0) }))])
            })),
            ("tags", .array(tags.map { .string($0) })),
        ])
    }
}
