import Foundation
import Glibc

/// The small launcher between a node and one agent (`mesh __supervise`, a hidden subcommand): it
/// makes sure an agent never outlives its node (issue 9 §5).
///
/// The node starts it from a long-lived thread; it asks the kernel for `PR_SET_PDEATHSIG` (SIGUSR1
/// when that thread, and so the node, dies — even by SIGKILL), checks that its parent is still the
/// node, then starts the agent with `posix_spawn` in a new process group, writes the group id to
/// the pgid file, and waits. It answers signals:
/// - SIGTERM (the node's `stopAgent(.terminate)`): forwarded to the agent's group;
/// - SIGUSR1 (`stopAgent(.kill)`, or the node died): SIGKILL to the agent's group;
/// - the agent's leader exited: SIGKILL to whatever is left in its group (no grandchild survives).
/// It then exits as the agent did: with its exit code, or killed by the same signal.
public enum AgentSupervisor {
    /// The hidden subcommand's name.
    public static let subcommand = "__supervise"
    /// The signal that means "kill the agent's group now" (also the parent-death signal).
    public static let killSignal = SIGUSR1

    /// What `mesh __supervise` was asked to do.
    public struct Plan: Equatable, Sendable {
        /// The node's pid: if the parent is already someone else, the node died before the
        /// parent-death signal was armed, and the supervisor exits at once.
        public var parent: pid_t
        /// Where to write `<pgid> <marker>` once the agent runs.
        public var pgidFile: String
        /// The agent's working directory (the task workspace).
        public var workspace: String
        /// The file the agent reads on stdin.
        public var stdinFile: String
        /// The files its stdout and stderr go to.
        public var stdoutFile: String
        public var stderrFile: String
        /// The agent's command line (from the node's local profile config).
        public var argv: [String]

        /// The arguments after `__supervise` that `parse` reads back as this plan.
        public var arguments: [String] {
            ["--parent", String(parent), "--pgid-file", pgidFile, "--workspace", workspace, "--stdin", stdinFile,
             "--stdout", stdoutFile, "--stderr", stderrFile, "--"] + argv
        }

        /// Reads the arguments after `__supervise`; nil when one is missing or unknown.
        public static func parse(_ arguments: [String]) -> Plan? {
            guard let separator = arguments.firstIndex(of: "--"), separator + 1 < arguments.count else { return nil }
            var values: [String: String] = [:]
            var index = 0
            while index + 1 < separator {
                values[arguments[index]] = arguments[index + 1]
                index += 2
            }
            guard index == separator, let parentText = values["--parent"], let parent = pid_t(parentText),
                  let pgidFile = values["--pgid-file"], let workspace = values["--workspace"], let stdinFile = values["--stdin"],
                  let stdoutFile = values["--stdout"], let stderrFile = values["--stderr"], values.count == 6 else { return nil }
            return Plan(parent: parent, pgidFile: pgidFile, workspace: workspace, stdinFile: stdinFile,
                        stdoutFile: stdoutFile, stderrFile: stderrFile, argv: Array(arguments[(separator + 1)...]))
        }
    }

    /// Runs the supervisor; returns only on a usage error (the exit status), else exits as the agent did.
    public static func main(_ arguments: [String]) -> Int32 {
        guard let plan = Plan.parse(arguments) else {
            FileHandle.standardError.write(Data("mesh __supervise: internal command; bad arguments\n".utf8))
            return 2
        }
        var signals = sigset_t()
        sigemptyset(&signals)
        for number in [SIGCHLD, SIGTERM, SIGINT, SIGHUP, killSignal] { sigaddset(&signals, number) }
        sigprocmask(SIG_BLOCK, &signals, nil)
        guard setParentDeathSignal(killSignal), getppid() == plan.parent else { exit(125) }
        let leader: pid_t
        do {
            _ = try retryingInterrupts("chdir \(plan.workspace)") { chdir(plan.workspace) }
            leader = try AgentSpawn.spawn(plan)
        } catch {
            FileHandle.standardError.write(Data("mesh __supervise: \(error)\n".utf8))
            exit(126)
        }
        let marker = ProcessInfo.processInfo.environment[AgentRunner.markerVariable] ?? ""
        try? ProcessFiles.write(plan.pgidFile, Array("\(leader) \(marker)\n".utf8))
        exitLikeAgent(waitForAgent(leader, signals: signals, parent: plan.parent))
    }

    /// Waits for the agent's leader, answering signals; then kills what is left of its group.
    /// Returns the leader's wait status.
    private static func waitForAgent(_ leader: pid_t, signals: sigset_t, parent: pid_t) -> Int32 {
        var signals = signals
        var timeout = timespec(tv_sec: 0, tv_nsec: 200_000_000)
        while true {
            var status: Int32 = 0
            if waitpid(leader, &status, WNOHANG) == leader {
                kill(-leader, SIGKILL)
                return status
            }
            let number = sigtimedwait(&signals, nil, &timeout)
            if number == SIGTERM || number == SIGINT || number == SIGHUP {
                kill(-leader, SIGTERM)
            } else if number == killSignal || getppid() != parent {
                kill(-leader, SIGKILL)
            }
        }
    }

    /// Exits with the agent's code, or dies of the agent's signal (no core file).
    private static func exitLikeAgent(_ status: Int32) -> Never {
        let signalNumber = status & 0x7F
        guard signalNumber != 0 else { exit((status >> 8) & 0xFF) }
        var noCore = rlimit(rlim_cur: 0, rlim_max: 0)
        setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &noCore)
        signal(signalNumber, SIG_DFL)
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, signalNumber)
        sigprocmask(SIG_UNBLOCK, &unblock, nil)
        raise(signalNumber)
        exit(128 + signalNumber)
    }

    /// `prctl(PR_SET_PDEATHSIG, signal)`. Swift cannot call the variadic `prctl` directly, so it
    /// is looked up and called through a fixed five-argument signature (the kernel's own).
    static func setParentDeathSignal(_ number: Int32) -> Bool {
        typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "prctl") else { return false }
        let prctl = unsafeBitCast(symbol, to: Prctl.self)
        return prctl(1 /* PR_SET_PDEATHSIG */, UInt(number), 0, 0, 0) == 0
    }
}
