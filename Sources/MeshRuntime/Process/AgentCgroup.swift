import Foundation
import Glibc

/// A cgroup v2 of one attempt (issue 10 §5): every process the agent starts stays in it whatever
/// it does (`setsid()`, double forks), so `cgroup.kill` ends them all at once. Created by the
/// supervisor under its own cgroup (`<cgroup2 mount><own path>/mesh-agent-<pid>`); when no cgroup v2
/// is mounted or it cannot be written, there is none and the supervisor falls back to a child
/// subreaper and the process table (`AgentDescendants`).
struct AgentCgroup {
    /// The cgroup's directory.
    let path: String
    /// The directory of the cgroup the supervisor came from.
    let parent: String

    /// Pids read from `cgroup.procs` at most (a bound on one read).
    static let procsBytesMax = 1 << 20

    /// A new cgroup for the supervisor `pid`, or nil when none can be made here.
    static func create(for pid: pid_t) -> AgentCgroup? {
        guard let mount = cgroup2Mount(), let own = ownPath() else { return nil }
        let parent = own == "/" ? mount : mount + own
        let path = parent + "/mesh-agent-\(pid)"
        guard mkdir(path, 0o755) == 0 || errno == EEXIST, access(path + "/cgroup.procs", W_OK) == 0 else { return nil }
        return AgentCgroup(path: path, parent: parent)
    }

    /// Where the cgroup v2 hierarchy is mounted (from `/proc/self/mountinfo`), or nil.
    static func cgroup2Mount() -> String? {
        guard let text = try? Files.readText("/proc/self/mountinfo", bytesMax: 1 << 20) else { return nil }
        for line in text.split(separator: "\n") {
            // "id parent major:minor root mountpoint options ... - fstype source superoptions"
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2, halves[1].hasPrefix("cgroup2 ") else { continue }
            let fields = halves[0].split(separator: " ")
            if fields.count > 4 { return String(fields[4]) }
        }
        return nil
    }

    /// This process's cgroup v2 path (the `0::` line of `/proc/self/cgroup`), or nil.
    static func ownPath() -> String? {
        guard let text = try? Files.readText("/proc/self/cgroup", bytesMax: 64 * 1024) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("0::") {
            let path = String(line.dropFirst(3))
            return path.hasPrefix("/") && !path.contains("..") ? path : nil
        }
        return nil
    }

    /// Moves the calling process into the cgroup (children it starts now are born inside).
    func enter() -> Bool { Self.write(path + "/cgroup.procs", "\(getpid())\n") }

    /// Moves the calling process back to where it came from; false when it could not (it is then
    /// still inside, and `killAll` must spare it).
    func leave() -> Bool { Self.write(parent + "/cgroup.procs", "\(getpid())\n") }

    /// The processes in the cgroup now.
    var pids: [pid_t] {
        guard let text = try? Files.readText(path + "/cgroup.procs", bytesMax: Self.procsBytesMax) else { return [] }
        return text.split(separator: "\n").compactMap { pid_t($0) }
    }

    /// SIGKILL to every process in the cgroup: `cgroup.kill` (Linux 5.14+), else one by one.
    /// With the calling process inside (it could not leave), one by one, sparing it.
    func killAll() {
        let me = getpid()
        let inside = pids.contains(me)
        if !inside && Self.write(path + "/cgroup.kill", "1\n") { return }
        for pid in pids where pid != me { kill(pid, SIGKILL) }
    }

    /// `number` to every process in the cgroup.
    func signalAll(_ number: Int32) { for pid in pids where pid != getpid() { kill(pid, number) } }

    /// Removes the (empty) cgroup; false while processes remain.
    @discardableResult
    func remove() -> Bool { rmdir(path) == 0 || errno == ENOENT }

    /// Writes `text` to a cgroup control file; true when the kernel took it.
    static func write(_ file: String, _ text: String) -> Bool {
        let fd = open(file, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count
    }
}
