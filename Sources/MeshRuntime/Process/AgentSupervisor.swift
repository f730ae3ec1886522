import Foundation
import Glibc
import MeshCore

/// The small launcher between a node and one agent (`mesh __supervise`, a hidden subcommand): it
/// makes sure an agent never outlives its node or its attempt (issue 9 §5, issue 10 §5).
///
/// The node starts it from a long-lived thread; it asks the kernel for `PR_SET_PDEATHSIG` (SIGUSR1
/// when that thread, and so the node, dies — even by SIGKILL), checks that its parent is still the
/// node, becomes a child subreaper, makes a cgroup v2 for the attempt where it can, then starts the
/// agent with `posix_spawn` in a new process group (inside the cgroup), its stdout and stderr on
/// one pipe that the supervisor copies to the attempt's log (up to the task's cap). It answers:
/// - SIGTERM (the node's `stopAgent(.terminate)`: cancel, timeout): SIGTERM to every process of
///   the attempt, SIGKILL to all of them after the grace;
/// - SIGUSR1 (`stopAgent(.kill)`, or the node died): SIGKILL to all at once;
/// - no output for `stallAfter`: stopped like SIGTERM, and the stall file written;
/// - the agent's leader exited: SIGKILL to whatever is left (no descendant survives).
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
        /// Where to write `<pgid> <marker> [cgroup]` once the agent runs.
        public var pgidFile: String
        /// The agent's working directory (the task workspace).
        public var workspace: String
        /// The file the agent reads on stdin.
        public var stdinFile: String
        /// The file its stdout and stderr both go to (appended).
        public var outputFile: String
        /// Bytes of output the file may still take; past it output is dropped and counted.
        public var outputBytesMax: Int64
        /// Between SIGTERM and SIGKILL when the attempt is stopped.
        public var grace: Nanoseconds
        /// No output for this long stops the attempt as stalled; 0: never.
        public var stallAfter: Nanoseconds
        /// Whether to make a cgroup for the attempt (where one can be made).
        public var usesCgroup: Bool
        /// Written when the stall watchdog stopped the attempt.
        public var stallFile: String
        /// The agent's command line (from the node's local profile config).
        public var argv: [String]

        /// A plan.
        public init(parent: pid_t, pgidFile: String, workspace: String, stdinFile: String, outputFile: String,
                    outputBytesMax: Int64, grace: Nanoseconds, stallAfter: Nanoseconds, usesCgroup: Bool,
                    stallFile: String, argv: [String]) {
            self.parent = parent; self.pgidFile = pgidFile; self.workspace = workspace; self.stdinFile = stdinFile
            self.outputFile = outputFile; self.outputBytesMax = outputBytesMax; self.grace = grace
            self.stallAfter = stallAfter; self.usesCgroup = usesCgroup; self.stallFile = stallFile; self.argv = argv
        }

        /// The arguments after `__supervise` that `parse` reads back as this plan.
        public var arguments: [String] {
            ["--parent", String(parent), "--pgid-file", pgidFile, "--workspace", workspace, "--stdin", stdinFile,
             "--output", outputFile, "--output-bytes-max", String(outputBytesMax), "--grace", String(grace),
             "--stall-after", String(stallAfter), "--cgroup", usesCgroup ? "on" : "off", "--stall-file", stallFile, "--"] + argv
        }

        static let keys = ["--parent", "--pgid-file", "--workspace", "--stdin", "--output", "--output-bytes-max",
                           "--grace", "--stall-after", "--cgroup", "--stall-file"]

        /// Reads the arguments after `__supervise`; nil when one is missing or unknown.
        public static func parse(_ arguments: [String]) -> Plan? {
            guard let separator = arguments.firstIndex(of: "--"), separator + 1 < arguments.count else { return nil }
            var values: [String: String] = [:]
            var index = 0
            while index + 1 < separator {
                values[arguments[index]] = arguments[index + 1]
                index += 2
            }
            guard index == separator, values.count == keys.count, keys.allSatisfy({ values[$0] != nil }),
                  let parent = pid_t(values["--parent"]!), let bytes = Int64(values["--output-bytes-max"]!),
                  let grace = Nanoseconds(values["--grace"]!), let stall = Nanoseconds(values["--stall-after"]!),
                  ["on", "off"].contains(values["--cgroup"]!) else { return nil }
            return Plan(parent: parent, pgidFile: values["--pgid-file"]!, workspace: values["--workspace"]!,
                        stdinFile: values["--stdin"]!, outputFile: values["--output"]!, outputBytesMax: bytes,
                        grace: grace, stallAfter: stall, usesCgroup: values["--cgroup"] == "on",
                        stallFile: values["--stall-file"]!, argv: Array(arguments[(separator + 1)...]))
        }
    }

    /// Runs the supervisor; returns only on a usage error (the exit status), else exits as the agent did.
    public static func main(_ arguments: [String]) -> Int32 {
        guard let plan = Plan.parse(arguments) else {
            FileHandle.standardError.write(Data("mesh __supervise: internal command; bad arguments\n".utf8))
            return 2
        }
        signal(SIGPIPE, SIG_IGN)
        var signals = sigset_t()
        sigemptyset(&signals)
        for number in [SIGCHLD, SIGTERM, SIGINT, SIGHUP, killSignal] { sigaddset(&signals, number) }
        sigprocmask(SIG_BLOCK, &signals, nil)
        guard setParentDeathSignal(killSignal), getppid() == plan.parent else { exit(125) }
        _ = AgentDescendants.becomeSubreaper()
        let cgroup = plan.usesCgroup ? AgentCgroup.create(for: getpid()) : nil
        let started: (leader: pid_t, output: Int32)
        do {
            _ = try retryingInterrupts("chdir \(plan.workspace)") { chdir(plan.workspace) }
            started = try spawnInside(cgroup, plan)
        } catch {
            cgroup?.remove()
            FileHandle.standardError.write(Data("mesh __supervise: \(error)\n".utf8))
            exit(126)
        }
        let marker = ProcessInfo.processInfo.environment[AgentRunner.markerVariable] ?? ""
        try? ProcessFiles.write(plan.pgidFile, Array("\(started.leader) \(marker)\(cgroup.map { " " + $0.path } ?? "")\n".utf8))
        var run = SupervisedRun(plan: plan, leader: started.leader, pipe: started.output, cgroup: cgroup, signals: signals)
        let status = run.wait()
        if run.isStalled { try? ProcessFiles.write(plan.stallFile, Array("stalled\n".utf8)) }
        exitLikeAgent(status)
    }

    /// Starts the agent; inside `cgroup` when there is one (the supervisor steps in for the spawn,
    /// so the agent is born there and nothing it starts can be outside, then steps out).
    private static func spawnInside(_ cgroup: AgentCgroup?, _ plan: Plan) throws(SystemError) -> (pid_t, Int32) {
        let entered = cgroup?.enter() ?? false
        defer { if entered { _ = cgroup?.leave() } }
        return try AgentSpawn.spawn(plan)
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

    /// `prctl(PR_SET_PDEATHSIG, signal)`.
    static func setParentDeathSignal(_ number: Int32) -> Bool { AgentDescendants.prctl(1 /* PR_SET_PDEATHSIG */, UInt(number)) }
}
