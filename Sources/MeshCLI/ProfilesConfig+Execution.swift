import MeshCore
import MeshRuntime

/// How a profile's attempts run (`env`, `expect`, `cancelGrace`, `stallAfter`) and the node's
/// `"workspaces"` and `"tasks"` settings, read with every problem reported at its position.
extension ProfilesConfig {
    mutating func parseExecution(_ entry: JSONValue, into profile: inout AgentProfile, path: String, positions: JSONPositions) {
        if let raw = entry["env"] {
            profile.environment = strings(raw, path: "\(path).env", positions: positions)
            if profile.environment.count > AgentProfile.environmentNamesMax {
                report("\(path).env", "at most \(AgentProfile.environmentNamesMax) variable names", positions)
            }
            for name in profile.environment {
                if let problem = AgentProfile.environmentNameError(name) { report("\(path).env", problem, positions) }
            }
        }
        if let raw = entry["expect"] {
            var spec = TaskSpec(profile: "p", prompt: "")
            spec.expect = strings(raw, path: "\(path).expect", positions: positions)
            if let problem = spec.validationError() { report("\(path).expect", problem.message, positions) }
            profile.expect = spec.expect
        }
        if let raw = entry["cancelGrace"] {
            let grace = duration(raw, path: "\(path).cancelGrace", range: 0...AgentProfile.cancelGraceMax, positions: positions)
            profile.cancelGrace = grace ?? profile.cancelGrace
        }
        if let raw = entry["stallAfter"] {
            profile.stallAfter = duration(raw, path: "\(path).stallAfter", range: AgentProfile.stallAfterMin...TaskLimits.timeoutMax,
                                          positions: positions)
        }
    }

    mutating func parseWorkspaces(_ raw: JSONValue, positions: JSONPositions) -> WorkspaceSettings {
        var settings = WorkspaceSettings()
        guard let fields = raw.object else {
            report("workspaces", "must be an object with outputBytesMax, retention, keptMax and cgroups", positions)
            return settings
        }
        let keys = ["outputBytesMax", "retention", "keptMax", "cgroups"]
        for (key, _) in fields where !keys.contains(key) {
            report("workspaces.\(key)", "unknown key '\(key)' (known keys: \(keys.joined(separator: ", ")))", positions)
        }
        if let value = raw["outputBytesMax"] {
            if let bytes = value.integer, bytes >= 0, bytes <= WorkspaceSettings.outputBytesMaxLimit { settings.outputBytesMax = bytes }
            else { report("workspaces.outputBytesMax", "must be a whole number of bytes from 0 to \(WorkspaceSettings.outputBytesMaxLimit)", positions) }
        }
        if let value = raw["retention"] {
            settings.retention = duration(value, path: "workspaces.retention", range: 0...(2 * TaskLimits.timeoutMax * 365), positions: positions)
                ?? settings.retention
        }
        if let value = raw["keptMax"] {
            if let count = value.integer, WorkspaceSettings.keptMaxRange.contains(Int(clamping: count)) { settings.keptMax = Int(count) }
            else { report("workspaces.keptMax", "must be a whole number from 0 to \(WorkspaceSettings.keptMaxRange.upperBound)", positions) }
        }
        if let value = raw["cgroups"] {
            if let flag = value.bool { settings.usesCgroups = flag } else { report("workspaces.cgroups", "must be true or false", positions) }
        }
        return settings
    }

    /// `"tasks": {"finishedRetention": "168h", "logCompactionFloor": 4096}`: how long a finished task
    /// is kept, and the records appended before the task log may be snapshotted.
    mutating func parseTasks(_ raw: JSONValue, positions: JSONPositions) -> TaskSettings {
        var settings = TaskSettings()
        guard let fields = raw.object else {
            report("tasks", "must be an object with finishedRetention and logCompactionFloor", positions)
            return settings
        }
        let keys = ["finishedRetention", "logCompactionFloor"]
        for (key, _) in fields where !keys.contains(key) {
            report("tasks.\(key)", "unknown key '\(key)' (known keys: \(keys.joined(separator: ", ")))", positions)
        }
        if let value = raw["finishedRetention"] {
            settings.finishedRetention = duration(value, path: "tasks.finishedRetention",
                                                  range: TaskSettings.finishedRetentionMin...TaskSettings.finishedRetentionMax,
                                                  positions: positions) ?? settings.finishedRetention
        }
        if let value = raw["logCompactionFloor"] {
            let range = TaskSettings.logCompactionFloorRange
            if let count = value.integer, range.contains(Int(clamping: count)) { settings.logCompactionFloor = Int(count) }
            else { report("tasks.logCompactionFloor", "must be a whole number from \(range.lowerBound) to \(range.upperBound)", positions) }
        }
        return settings
    }

    /// A duration string (`500ms`, `90s`, `10m`, `168h`) within `range`, or nil (reported).
    private mutating func duration(_ raw: JSONValue, path: String, range: ClosedRange<Nanoseconds>, positions: JSONPositions) -> Nanoseconds? {
        guard let text = raw.string, let value = Self.parseDuration(text), range.contains(value) else {
            report(path, "must be a duration like 500ms, 90s, 10m or 168h, from \(TaskDuration.text(range.lowerBound)) to \(TaskDuration.text(range.upperBound))", positions)
            return nil
        }
        return value
    }

    /// `TaskDuration.parse`, and `0` or a sum past its bound (a long retention) read by parts.
    static func parseDuration(_ text: String) -> Nanoseconds? {
        if text == "0" { return 0 }
        if let value = TaskDuration.parse(text) { return value }
        guard text.hasSuffix("h"), let hours = Int64(text.dropLast()), hours >= 0, hours <= 24 * 3_650 else { return nil }
        return hours * 3_600_000_000_000
    }
}
