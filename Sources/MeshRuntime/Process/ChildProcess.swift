import Foundation
import Glibc

/// A child process started with `posix_spawn` in a process group of its own (ARCHITECTURE §11), so
/// a terminal's Ctrl-C does not reach it behind its parent's back and a signal to the group reaches
/// every process it started. Used by `mesh demo`, `mesh bench` and the real-process tests.
///
/// Thread-safe: the exit status is guarded by a lock, so tests may poll it from any task.
public final class ChildProcess: @unchecked Sendable {
    /// Where the child's standard output and error go.
    public enum Output: Sendable {
        /// The parent's own.
        case inherit
        /// /dev/null.
        case discard
        /// Appended to this file (created if needed).
        case file(String)
        /// Standard output to this descriptor of the parent (a pipe's write end); standard error
        /// appended to the file `stderr` (created if needed).
        case descriptor(Int32, stderr: String)
    }

    public let pid: pid_t
    public let executable: String
    public let arguments: [String]
    private let lock = NSLock()
    private var reapedStatus: Int32?

    private init(pid: pid_t, executable: String, arguments: [String]) {
        self.pid = pid
        self.executable = executable
        self.arguments = arguments
    }

    /// The current environment without variables starting with `prefix` (so a user's `MESH_*`
    /// settings do not leak into the nodes a demo or test starts).
    public static func environment(dropping prefix: String = "MESH_") -> [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix(prefix) }
    }

    /// Starts `executable` with `arguments`; signals reset to their defaults and none blocked.
    public static func spawn(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                             output: Output = .inherit) throws(SystemError) -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        switch output {
        case .inherit:
            break
        case .discard:
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        case .file(let path):
            posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0o600)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        case .descriptor(let fd, let path):
            posix_spawn_file_actions_adddup2(&actions, fd, 1)
            posix_spawn_file_actions_addopen(&actions, 2, path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0o600)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT, SIGCHLD] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let variables = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let envp = variables.map { strdup($0) } + [nil]
        defer { for pointer in envp { free(pointer) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard status == 0 else { throw SystemError(call: "posix_spawn \(executable)", code: status) }
        return ChildProcess(pid: pid, executable: executable, arguments: arguments)
    }

    /// Sends `signal` to the child's whole process group.
    public func signal(_ number: Int32) {
        guard exitStatus == nil else { return }
        _ = Glibc.kill(-pid, number)
    }

    /// SIGKILL to the whole group, then reaps the child (waits at most `timeout`).
    public func kill(timeout: TimeInterval = 5) {
        signal(SIGKILL)
        _ = waitForExit(timeout: timeout)
    }

    /// The exit status once the child has exited (128 + signal number when a signal ended it);
    /// nil while it runs. Reaps the child without blocking.
    public var exitStatus: Int32? {
        lock.lock()
        defer { lock.unlock() }
        if let reapedStatus { return reapedStatus }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        guard result == pid else {
            if result < 0 && errno == ECHILD { reapedStatus = -1 }
            return reapedStatus
        }
        let signalNumber = status & 0x7F
        reapedStatus = signalNumber == 0 ? (status >> 8) & 0xFF : 128 + signalNumber
        return reapedStatus
    }

    /// True until the child has exited.
    public var isRunning: Bool { exitStatus == nil }

    /// Waits up to `timeout` seconds for the child to exit, checking every 10 ms; its status, or nil.
    public func waitForExit(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let status = exitStatus { return status }
            if Date() >= deadline { return nil }
            usleep(10_000)
        }
    }

    /// The path of the running executable (`/proc/self/exe`), for starting more of itself.
    public static func currentExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return CommandLine.arguments[0] }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
