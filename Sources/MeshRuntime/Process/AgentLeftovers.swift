import Foundation
import Glibc

extension AgentRunner {
    /// The most pgid files one restart looks at (a bound on the scan, far above any slot count).
    public static let leftoverFilesMax = 4_096

    /// Kills every agent group a previous life of this node left running (it crashed, and a
    /// supervisor died with it before it could act), before the node recovers: reads each
    /// `<data>/tasks/*/logs/attempt-*.pgid`, SIGKILLs the group if one of its processes carries the
    /// marker written there, and removes the file. Returns how many groups it killed.
    @discardableResult
    public static func killLeftovers(dataPath: String) -> Int {
        let tasks = dataPath + "/tasks"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: tasks) else { return 0 }
        var killed = 0
        var seen = 0
        for task in entries.sorted() where TaskIDText.isPlain(task) {
            let logs = tasks + "/" + task + "/logs"
            let files = (try? FileManager.default.contentsOfDirectory(atPath: logs)) ?? []
            for file in files.sorted() where file.hasPrefix("attempt-") && file.hasSuffix(".pgid") {
                seen += 1
                guard seen <= leftoverFilesMax else { return killed }
                if killGroup(recordedIn: logs + "/" + file) { killed += 1 }
                unlink(logs + "/" + file)
            }
        }
        return killed
    }

    /// SIGKILLs the group named in `pgidFile` if a live process in it carries the recorded marker,
    /// and every process of the attempt's cgroup when one is recorded (then removes it); true when
    /// it killed something.
    @discardableResult
    static func killGroup(recordedIn pgidFile: String) -> Bool {
        guard let text = try? Files.readText(pgidFile, bytesMax: 4_096) else { return false }
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        guard parts.count == 2 || parts.count == 3, let pgid = pid_t(parts[0]), pgid > 1 else { return false }
        var killed = false
        if parts.count == 3, parts[2].hasPrefix("/"), !parts[2].contains(".."), parts[2].contains("/mesh-agent-") {
            let cgroup = AgentCgroup(path: parts[2], parent: "")
            killed = !cgroup.pids.isEmpty
            cgroup.killAll()
            for _ in 0..<50 where !cgroup.remove() { usleep(10_000) }   // emptied by the kernel shortly after
        }
        // No process left in the group (the supervisor ended it): nothing to scan `/proc` for.
        if kill(-pgid, 0) != 0 && errno == ESRCH { return killed }
        guard groupCarriesMarker(pgid, marker: parts[1]) else { return killed }
        return kill(-pgid, SIGKILL) == 0 || killed
    }

    /// True when a process of group `pgid` has `MESH_AGENT_RUN=<marker>` in its environment.
    static func groupCarriesMarker(_ pgid: pid_t, marker: String) -> Bool {
        let wanted = Array("\(markerVariable)=\(marker)".utf8)
        for pid in processes(inGroup: pgid) {
            guard let environment = try? Files.read("/proc/\(pid)/environ", bytesMax: 1 << 20) else { continue }
            if environment.split(separator: 0).contains(where: { Array($0) == wanted }) { return true }
        }
        return false
    }

    /// The pids whose process group is `pgid` (from `/proc/<pid>/stat`).
    static func processes(inGroup pgid: pid_t) -> [pid_t] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry), let stat = try? Files.readText("/proc/\(entry)/stat", bytesMax: 4_096),
                  let close = stat.lastIndex(of: ")") else { return nil }
            // After "pid (comm)": state, ppid, pgrp.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, pid_t(fields[2]) == pgid else { return nil }
            return pid
        }
    }
}

/// Task ids as directory names: hex digits only, so a name from anywhere can never leave `tasks/`.
enum TaskIDText {
    static func isPlain(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 64 && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }
}
