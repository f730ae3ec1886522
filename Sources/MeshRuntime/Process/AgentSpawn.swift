import Foundation
import Glibc

/// `posix_spawn` of an agent: a new process group, default signal dispositions, nothing blocked,
/// stdin from a file, stdout and stderr appended to files. The caller has already moved to the
/// workspace (glibc's `addchdir_np` is not visible to Swift), which the agent inherits.
enum AgentSpawn {
    /// Starts `plan.argv` and returns its pid (which is also its process group id).
    static func spawn(_ plan: AgentSupervisor.Plan) throws(SystemError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, plan.stdinFile, O_RDONLY | O_NOFOLLOW, 0)
        posix_spawn_file_actions_addopen(&actions, 1, plan.stdoutFile, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, plan.stderrFile, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0o600)
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
        return try spawnProcess(plan.argv, actions: &actions, attributes: &attributes)
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
