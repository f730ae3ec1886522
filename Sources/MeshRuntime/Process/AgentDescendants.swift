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

    /// The live (non-zombie) descendants of `root`.
    static func of(_ root: pid_t) -> [pid_t] {
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
