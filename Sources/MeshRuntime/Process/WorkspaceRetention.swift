import Foundation
import Glibc
import MeshCore

/// Prunes finished task workspaces (issue 10 §1). A finished workspace — its logs and artifacts —
/// stays where it is as the task's archive, served to readers, until it is older than the
/// retention (by the newest change of the workspace, its `logs/` or its `artifacts/`) or more than
/// `keptMax` finished ones exist (the oldest go first). A workspace whose task this node still
/// holds unfinished, or runs, is never touched.
public enum WorkspaceRetention {
    /// How often the node prunes.
    public static let interval: Nanoseconds = .seconds(600)
    /// Workspaces looked at in one prune, at most.
    public static let scannedMax = 1_000_000

    /// Removes what the settings say must go from `<dataPath>/tasks`; returns the task ids removed.
    /// `active` names tasks that must stay; `nowSeconds` is the wall clock (seconds since the epoch).
    @discardableResult
    public static func prune(dataPath: String, active: Set<String>, settings: WorkspaceSettings, nowSeconds: Int64) -> [String] {
        let tasks = dataPath + "/tasks"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: tasks) else { return [] }
        var finished: [(name: String, changed: Int64)] = []
        for name in entries.prefix(scannedMax) where TaskIDText.isPlain(name) && !active.contains(name) {
            finished.append((name, lastChange(tasks + "/" + name)))
        }
        finished.sort { ($0.changed, $0.name) > ($1.changed, $1.name) }   // newest first
        let retentionSeconds = settings.retention / 1_000_000_000
        var removed: [String] = []
        for (index, workspace) in finished.enumerated()
        where index >= settings.keptMax || nowSeconds - workspace.changed > retentionSeconds {
            if (try? FileManager.default.removeItem(atPath: tasks + "/" + workspace.name)) != nil { removed.append(workspace.name) }
        }
        return removed
    }

    /// The newest modification time (seconds) of the workspace directory, its `logs/` and `artifacts/`.
    static func lastChange(_ workspace: String) -> Int64 {
        var newest: Int64 = 0
        for path in [workspace, workspace + "/logs", workspace + "/artifacts"] {
            var info = stat()
            if lstat(path, &info) == 0 { newest = max(newest, Int64(info.st_mtim.tv_sec)) }
        }
        return newest
    }
}
