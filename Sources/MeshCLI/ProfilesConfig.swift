import MeshCore
import MeshRuntime

/// The `"profiles"`, `"tags"`, `"attachments"`, `"workspaces"` and `"tasks"` keys of a node config:
///
/// ```
/// "tags": ["gpu"],
/// "profiles": [{"name": "claude", "command": ["claude", "-p"], "slots": 2, "tags": ["research"],
///               "env": ["ANTHROPIC_API_KEY"], "expect": ["answer.md"], "cancelGrace": "2s", "stallAfter": "10m"}],
/// "workspaces": {"outputBytesMax": 67108864, "retention": "168h", "keptMax": 1000, "cgroups": true},
/// "tasks": {"finishedRetention": "168h", "logCompactionFloor": 4096}
/// ```
/// Every problem is reported with the line and column of the value it is about, all of them at
/// once, so `mesh check-config` can list what to fix in one go.
struct ProfilesConfig: Equatable {
    /// Keys one profile entry may have.
    static let profileKeys = ["name", "command", "slots", "tags", "env", "expect", "cancelGrace", "stallAfter"]

    var profiles: [AgentProfile] = []
    var tags: [String] = []
    /// `"attachments": {"fileBytesMax": N, "taskBytesMax": N}`: this node's attachment limits
    /// (issue 10 §2; nil: the defaults, 64 MiB per file and 256 MiB per task).
    var attachmentBytesMax: UInt64?
    var attachmentsTotalBytesMax: UInt64?
    /// The `"workspaces"` key (defaults when absent).
    var workspaces = WorkspaceSettings()
    /// The `"tasks"` key: `finishedRetention` and `logCompactionFloor` (the defaults when absent).
    var tasks = TaskSettings()
    /// One line per problem: "line L, column C: profiles[0].slots must be …".
    var problems: [String] = []

    /// Reads these keys from a parsed config whose text `positions` was built from.
    init(json: JSONValue, positions: JSONPositions) {
        if let raw = json["tags"] { tags = strings(raw, path: "tags", positions: positions) }
        if let problem = LocalCapacity.tagsError(tags, owner: "node") { report("tags", problem, positions) }
        if let raw = json["attachments"] { parseAttachmentLimits(raw, positions: positions) }
        if let raw = json["workspaces"] { workspaces = parseWorkspaces(raw, positions: positions) }
        if let raw = json["tasks"] { tasks = parseTasks(raw, positions: positions) }
        guard let raw = json["profiles"] else { return }
        guard let list = raw.array else { report("profiles", "must be a list of profile objects", positions); return }
        if list.count > CapacityLimits.profilesMax {
            report("profiles", "at most \(CapacityLimits.profilesMax) profiles (got \(list.count))", positions)
        }
        for (i, entry) in list.prefix(CapacityLimits.profilesMax).enumerated() {
            if let profile = parseProfile(entry, path: "profiles[\(i)]", positions: positions) {
                if profiles.contains(where: { $0.name == profile.name }) {
                    report("profiles[\(i)].name", "profile '\(profile.name)' is defined twice", positions)
                } else {
                    profiles.append(profile)
                }
            }
        }
        let local = LocalCapacity(profiles: profiles.map(\.advertised), tags: tags)
        if problems.isEmpty, let problem = local.validationError(name: String(repeating: "n", count: WireLimits.nameBytesMax)) {
            report("profiles", problem, positions)
        }
    }

    /// The largest attachment limit a config may set (4 GiB).
    static let attachmentLimitMax: UInt64 = 4 << 30

    private mutating func parseAttachmentLimits(_ raw: JSONValue, positions: JSONPositions) {
        guard let fields = raw.object else { return report("attachments", "must be an object: {\"fileBytesMax\": N, \"taskBytesMax\": N}", positions) }
        for (key, value) in fields {
            guard let bytes = value.unsigned, bytes >= 1, bytes <= Self.attachmentLimitMax else {
                report("attachments.\(key)", "must be a whole number of bytes from 1 to \(Self.attachmentLimitMax)", positions)
                continue
            }
            switch key {
            case "fileBytesMax": attachmentBytesMax = bytes
            case "taskBytesMax": attachmentsTotalBytesMax = bytes
            default: report("attachments.\(key)", "unknown key '\(key)' (known keys: fileBytesMax, taskBytesMax)", positions)
            }
        }
    }

    mutating func report(_ path: String, _ problem: String, _ positions: JSONPositions) {
        problems.append("\(positions.position(of: path)): \(path): \(problem)")
    }

    private mutating func parseProfile(_ entry: JSONValue, path: String, positions: JSONPositions) -> AgentProfile? {
        guard let fields = entry.object else {
            report(path, "must be an object with name, command, slots and tags", positions)
            return nil
        }
        let before = problems.count
        for (key, _) in fields where !Self.profileKeys.contains(key) {
            report("\(path).\(key)", "unknown key '\(key)' (known keys: \(Self.profileKeys.joined(separator: ", ")))", positions)
        }
        let name = entry["name"]?.string ?? ""
        if entry["name"]?.string == nil { report(path, "needs \"name\": a string", positions) }
        else if let problem = CapacityLimits.labelError(name, what: "profile name") { report("\(path).name", problem, positions) }
        let command = parseCommand(entry["command"], path: "\(path).command", positions: positions)
        var slots = 0
        if let value = entry["slots"]?.integer, value >= 1, value <= Int64(CapacityLimits.slotsMax) {
            slots = Int(value)
        } else {
            report(entry["slots"] == nil ? path : "\(path).slots",
                   "needs \"slots\": a whole number from 1 to \(CapacityLimits.slotsMax)", positions)
        }
        let tags = entry["tags"].map { strings($0, path: "\(path).tags", positions: positions) } ?? []
        if let problem = LocalCapacity.tagsError(tags, owner: "profile '\(name)'") { report("\(path).tags", problem, positions) }
        var profile = AgentProfile(name: name, command: command, slots: slots, tags: tags)
        parseExecution(entry, into: &profile, path: path, positions: positions)
        guard problems.count == before else { return nil }
        return profile
    }

    private mutating func parseCommand(_ raw: JSONValue?, path: String, positions: JSONPositions) -> [String] {
        guard let list = raw?.array, !list.isEmpty, list.allSatisfy({ $0.string != nil }) else {
            report(raw == nil ? String(path.dropLast(".command".count)) : path,
                   "needs \"command\": a non-empty list of strings (the program, then its arguments)", positions)
            return []
        }
        let command = list.compactMap(\.string)
        if command.count > AgentProfile.argumentsMax {
            report(path, "at most \(AgentProfile.argumentsMax) arguments (got \(command.count))", positions)
        }
        if command[0].isEmpty { report("\(path)[0]", "the program must not be empty", positions) }
        for (i, argument) in command.enumerated() {
            if argument.utf8.count > AgentProfile.argumentBytesMax {
                report("\(path)[\(i)]", "an argument may hold at most \(AgentProfile.argumentBytesMax) bytes", positions)
            }
            if argument.utf8.contains(0) { report("\(path)[\(i)]", "an argument must not contain a NUL byte", positions) }
        }
        return command
    }

    mutating func strings(_ raw: JSONValue, path: String, positions: JSONPositions) -> [String] {
        guard let list = raw.array, list.allSatisfy({ $0.string != nil }) else {
            report(path, "must be a list of strings", positions)
            return []
        }
        return list.compactMap(\.string)
    }
}
