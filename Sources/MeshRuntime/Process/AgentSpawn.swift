import Foundation
import Glibc

/// `posix_spawn` of an agent: a new process group, default signal dispositions, nothing blocked,
/// stdin from a file, stdout and stderr both on one pipe (so their interleaving is kept) that the
/// supervisor copies to the attempt's log. The caller has already moved to the workspace (glibc's
/// `addchdir_np` is not visible to Swift), which the agent inherits.
enum AgentSpawn {
    /// Starts `plan.argv`; returns its pid (which is also its process group id) and the read end
    /// of its output pipe (non-blocking, close-on-exec).
    static func spawn(_ plan: AgentSupervisor.Plan) throws(SystemError) -> (pid_t, Int32) {
        var ends: [Int32] = [-1, -1]
        // pipe2 is not visible to Swift; the supervisor has one thread, so no fork races the flags.
        guard pipe(&ends) == 0 else { throw SystemError(call: "pipe", code: errno) }
        defer { close(ends[1]) }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        _ = fcntl(ends[0], F_SETFL, fcntl(ends[0], F_GETFL) | O_NONBLOCK)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, plan.stdinFile, O_RDONLY | O_NOFOLLOW, 0)
        posix_spawn_file_actions_adddup2(&actions, ends[1], 1)
        posix_spawn_file_actions_adddup2(&actions, ends[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        do {
            return (try spawnProcess(plan.argv, actions: &actions, attributes: &attributes), ends[0])
        } catch {
            close(ends[0])
            throw error
        }
    }

    /// `posix_spawnp` of `argv` with the current environment.
    static func spawnProcess(_ argv: [String], actions: inout posix_spawn_file_actions_t,
                             attributes: inout posix_spawnattr_t) throws(SystemError) -> pid_t {
        let arguments = argv.map { strdup($0) } + [nil]
        defer { for pointer in arguments { free(pointer) } }
        let variables = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        let environment = variables.map { strdup($0) } + [nil]
        defer { for pointer in environment { free(pointer) } }
        var pid: pid_t = 0
        let status = posix_spawnp(&pid, argv[0], &actions, &attributes, arguments, environment)
        guard status == 0 else { throw SystemError(call: "posix_spawn \(argv[0])", code: status) }
        return pid
    }
}
