import Foundation
import Glibc

/// Every descendant of the supervisor, found in the process table (issue 10 §5). The supervisor is
/// a child subreaper, so an orphan anywhere below it — a grandchild whose parent exited, one that
/// called `setsid()` — is re-parented to it instead of to init: walking parent links down from the
/// supervisor finds them all, whatever session or process group they moved to.
enum AgentDescendants {
    /// `/proc` entries looked at in one scan, at most.
    static let scannedMax = 65_536

    /// Makes the calling process a child subreaper (`PR_SET_CHILD_SUBREAPER`).
    static func becomeSubreaper() -> Bool { prctl(36 /* PR_SET_CHILD_SUBREAPER */, 1) }

    /// The live (non-zombie) descendants of `root`: read from the kernel's per-thread lists of
    /// children (only the attempt's own processes are read), or from the whole process table
    /// where the kernel has no such list.
    static func of(_ root: pid_t) -> [pid_t] {
        guard let tree = fromChildLists(root) else { return fromProcessTable(root) }
        return tree.filter { parentAndState($0).map { $0.1 != "Z" } ?? false }
    }

    /// Every descendant of `root` (zombies included) from `/proc/<pid>/task/<tid>/children`, or nil
    /// when the kernel does not provide those files. A process forked during the walk can be
    /// missed: the supervisor kills again while it still has children.
    static func fromChildLists(_ root: pid_t) -> [pid_t]? {
        guard access("/proc/\(root)/task/\(root)/children", R_OK) == 0 else { return nil }
        var found: [pid_t] = []
        var frontier = [root]
        while let next = frontier.popLast(), found.count < scannedMax {
            for thread in threads(of: next) {
                guard let text = try? Files.readText("/proc/\(next)/task/\(thread)/children", bytesMax: 1 << 16) else { continue }
                for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
                    guard let child = pid_t(word), child > 0 else { continue }
                    found.append(child)
                    frontier.append(child)
                }
            }
        }
        return found
    }

    /// The thread ids of `pid` (`/proc/<pid>/task`), at most `scannedMax`.
    static func threads(of pid: pid_t) -> [pid_t] {
        guard let directory = opendir("/proc/\(pid)/task") else { return [] }
        defer { closedir(directory) }
        var ids: [pid_t] = []
        while ids.count < scannedMax, let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let id = pid_t(name) { ids.append(id) }
        }
        return ids
    }

    /// The live descendants of `root`, by parent links over every process of the table.
    static func fromProcessTable(_ root: pid_t) -> [pid_t] {
        var children: [pid_t: [pid_t]] = [:]
        var zombies: Set<pid_t> = []
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        for entry in entries.prefix(scannedMax) {
            guard let pid = pid_t(entry), let (parent, state) = parentAndState(pid) else { continue }
            children[parent, default: []].append(pid)
            if state == "Z" { zombies.insert(pid) }
        }
        var found: [pid_t] = []
        var frontier = [root]
        while let next = frontier.popLast(), found.count < scannedMax {
            for child in children[next] ?? [] {
                frontier.append(child)
                if !zombies.contains(child) { found.append(child) }
            }
        }
        return found
    }

    /// `number` to every live descendant of `root`; how many there were.
    @discardableResult
    static func signal(_ number: Int32, below root: pid_t) -> Int {
        let pids = of(root)
        for pid in pids { kill(pid, number) }
        return pids.count
    }

    /// The parent pid and state letter of `pid` (from `/proc/<pid>/stat`).
    static func parentAndState(_ pid: pid_t) -> (pid_t, Character)? {
        guard let stat = try? Files.readText("/proc/\(pid)/stat", bytesMax: 4_096), let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 1, let state = fields[0].first, let parent = pid_t(fields[1]) else { return nil }
        return (parent, state)
    }

    /// `prctl(option, value)` through a fixed signature (Swift cannot call the variadic one).
    static func prctl(_ option: Int32, _ value: UInt) -> Bool {
        typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "prctl") else { return false }
        return unsafeBitCast(symbol, to: Prctl.self)(option, value, 0, 0, 0) == 0
    }
}
