import Dispatch
import Foundation
import Glibc
import MeshCore

/// Runs the core's `startAgent` directives (issue 9 §5): maps the profile name to the command the
/// node's local config allows (never one from the wire), prepares the task workspace
/// `<data>/tasks/<task>/{inbox,artifacts,logs}` with the prompt in `inbox/prompt.md`, and starts
/// the agent under an `AgentSupervisor` (`mesh __supervise`), which keeps it in its own process
/// group and kills that group if the node dies. Each attempt's group id is persisted in
/// `logs/attempt-<n>.pgid`, so `killLeftovers` can end what a crashed node left behind.
/// Reports `agentExited` through `deliver` when the supervisor ends.
public final class AgentRunner: @unchecked Sendable {
    /// The environment variable that marks an agent's processes as this attempt's (checked before
    /// killing a leftover group, so a reused group id never kills a stranger).
    public static let markerVariable = "MESH_AGENT_RUN"
    /// Agent runs at once on one node (a profile's slots are fewer; this bounds the threads).
    public static let runsMax = 256

    /// Profile name → argv, from local config.
    public let profiles: [String: [String]]
    /// Where `tasks/` lives.
    public let dataPath: String
    /// The supervisor's command: the `mesh` executable and `__supervise`.
    public let supervisor: [String]
    private let deliver: @Sendable (Input) -> Void
    private let launcher = AgentLauncher()
    private let preparing = DispatchQueue(label: "mesh.agent-start")
    private let lock = NSLock()
    private var running: [RunID: pid_t] = [:]

    /// A runner for the node with data directory `dataPath`.
    public init(dataPath: String, profiles: [String: [String]], supervisor: [String] = [ChildProcess.currentExecutable(), AgentSupervisor.subcommand],
                deliver: @escaping @Sendable (Input) -> Void) {
        self.dataPath = dataPath
        self.profiles = profiles
        self.supervisor = supervisor
        self.deliver = deliver
    }

    /// The workspace of task `task`.
    public func workspace(_ task: String) -> String { dataPath + "/tasks/" + task }

    /// The `startAgent` directive: prepares the workspace and spawns on a queue of the runner's
    /// own, so the node's queue never waits for the file system or a fork. A refusal (unknown
    /// profile, bad task id, spawn failure) is reported as `agentExited(.refused(reason))`.
    public func start(_ run: AgentRun) {
        preparing.async { [self] in startNow(run) }
    }

    private func startNow(_ run: AgentRun) {
        guard let argv = profiles[run.profile], !argv.isEmpty else { return refuse(run, "unknown profile '\(run.profile)'") }
        guard TaskID(run.task) != nil else { return refuse(run, "bad task id") }
        guard lock.withLock({ running.count < Self.runsMax && running[run.run] == nil }) else {
            return refuse(run, "too many agent runs")
        }
        let workspace = workspace(run.task)
        let plan = AgentSupervisor.Plan(parent: getpid(), pgidFile: Self.pgidFile(workspace, attempt: run.attempt),
                                        workspace: workspace, stdinFile: workspace + "/inbox/prompt.md",
                                        stdoutFile: workspace + "/logs/stdout-\(run.attempt).log",
                                        stderrFile: workspace + "/logs/stderr-\(run.attempt).log", argv: argv)
        do {
            for part in ["inbox", "artifacts", "logs"] { try Files.makeDirectory(workspace + "/" + part) }
            try ProcessFiles.write(plan.stdinFile, Array(run.prompt.utf8))
            var environment = ChildProcess.environment()
            environment[Self.markerVariable] = "\(run.task)/\(run.attempt)/\(getpid())"
            environment["MESH_TASK_ID"] = run.task
            environment["MESH_TASK_ATTEMPT"] = String(run.attempt)
            environment["MESH_TASK_TIMEOUT_MS"] = String(run.timeout / 1_000_000)
            let pid = try launcher.spawn(supervisor + plan.arguments, environment: environment)
            lock.withLock { running[run.run] = pid }
            watch(run, pid: pid, pgidFile: plan.pgidFile)
        } catch {
            refuse(run, "cannot start: \(error)")
        }
    }

    /// The `stopAgent` directive: SIGTERM to the agent's group, or SIGKILL. Runs after every
    /// earlier `start` has spawned (so a stop right after its start is not lost).
    public func stop(_ run: RunID, _ signal: StopSignal) {
        preparing.async { [self] in stopNow(run, signal) }
    }

    private func stopNow(_ run: RunID, _ signal: StopSignal) {
        guard let pid = lock.withLock({ running[run] }) else { return }
        kill(pid, signal == .terminate ? SIGTERM : AgentSupervisor.killSignal)
    }

    /// Runs in progress.
    public var runningCount: Int { lock.withLock { running.count } }

    /// Waits for the supervisor on a thread of its own, then makes sure the agent's group is gone
    /// (the supervisor itself may have been killed), removes the pgid file and reports the exit.
    private func watch(_ run: AgentRun, pid: pid_t, pgidFile: String) {
        let thread = Thread { [self] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            Self.killGroup(recordedIn: pgidFile)
            unlink(pgidFile)
            lock.withLock { _ = running.removeValue(forKey: run.run) }
            let signalNumber = status & 0x7F
            deliver(.agentExited(run.run, signalNumber == 0 ? .exited((status >> 8) & 0xFF) : .signalled(signalNumber)))
        }
        thread.name = "mesh.agent-wait"
        thread.start()
    }

    private func refuse(_ run: AgentRun, _ reason: String) {
        deliver(.agentExited(run.run, .refused(reason)))
    }

    static func pgidFile(_ workspace: String, attempt: UInt32) -> String { workspace + "/logs/attempt-\(attempt).pgid" }
}
