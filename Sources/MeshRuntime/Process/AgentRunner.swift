import Dispatch
import Foundation
import Glibc
import MeshCore

/// Runs the core's `startAgent` directives (issue 9 §5, issue 10 §1): maps the profile name to the
/// command the node's local config allows (never one from the wire), prepares the task workspace
/// `<data>/tasks/<task>/{inbox,artifacts,logs}` with the prompt in `inbox/prompt.md`, and starts
/// the agent there under an `AgentSupervisor` (`mesh __supervise`) with exactly the environment
/// `AgentEnvironment` builds, its stdout and stderr in `logs/output-<attempt>.log` (capped per
/// task). Each attempt's group id (and cgroup) is persisted in `logs/attempt-<n>.pgid`, so
/// `killLeftovers` can end what a crashed node left behind. When the supervisor ends, hashes the
/// artifacts and reports `agentExited` (with them) through `deliver`.
public final class AgentRunner: @unchecked Sendable {
    /// The environment variable that marks an agent's processes as this attempt's (checked before
    /// killing a leftover group, so a reused group id never kills a stranger).
    public static let markerVariable = "MESH_AGENT_RUN"
    /// Agent runs at once on one node (a profile's slots are fewer; this bounds the threads).
    public static let runsMax = 256

    /// Profile name → profile, from local config.
    public let profiles: [String: AgentProfile]
    /// Log cap, retention and cgroups.
    public let settings: WorkspaceSettings
    /// The node's own environment: where the values of a profile's `env` names come from.
    public let nodeEnvironment: [String: String]
    /// Where `tasks/` lives.
    public let dataPath: String
    /// The supervisor's command: the `mesh` executable and `__supervise`.
    public let supervisor: [String]
    private let deliver: @Sendable (Input) -> Void
    private let launcher = AgentLauncher()
    private let preparing = DispatchQueue(label: "mesh.agent-start")
    private let lock = NSLock()
    private var running: [RunID: pid_t] = [:]
    private var runningTaskIDs: [RunID: String] = [:]

    /// A runner for the node with data directory `dataPath`.
    public init(dataPath: String, profiles: [AgentProfile], settings: WorkspaceSettings = WorkspaceSettings(),
                nodeEnvironment: [String: String] = ProcessInfo.processInfo.environment,
                supervisor: [String] = [ChildProcess.currentExecutable(), AgentSupervisor.subcommand],
                deliver: @escaping @Sendable (Input) -> Void) {
        self.dataPath = dataPath
        var byName: [String: AgentProfile] = [:]
        for profile in profiles { byName[profile.name] = profile }
        self.profiles = byName
        self.settings = settings
        self.nodeEnvironment = nodeEnvironment
        self.supervisor = supervisor
        self.deliver = deliver
    }

    /// A runner with plain commands (profile name → argv) and default settings.
    public convenience init(dataPath: String, profiles: [String: [String]],
                            supervisor: [String] = [ChildProcess.currentExecutable(), AgentSupervisor.subcommand],
                            deliver: @escaping @Sendable (Input) -> Void) {
        self.init(dataPath: dataPath, profiles: profiles.map { AgentProfile(name: $0.key, command: $0.value, slots: 1) },
                  supervisor: supervisor, deliver: deliver)
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
        guard let profile = profiles[run.profile], !profile.command.isEmpty else { return refuse(run, "unknown profile '\(run.profile)'") }
        guard TaskID(run.task) != nil else { return refuse(run, "bad task id") }
        guard lock.withLock({ running.count < Self.runsMax && running[run.run] == nil }) else {
            return refuse(run, "too many agent runs")
        }
        let workspace = workspace(run.task)
        let logs = workspace + "/logs"
        do {
            for part in ["inbox", "artifacts", "logs"] { try Files.makeDirectory(workspace + "/" + part) }
            let plan = AgentSupervisor.Plan(
                parent: getpid(), pgidFile: Self.pgidFile(workspace, attempt: run.attempt), workspace: workspace,
                stdinFile: workspace + "/inbox/prompt.md", outputFile: Self.outputFile(workspace, attempt: run.attempt),
                outputBytesMax: settings.outputBytesMax - Self.outputBytes(logs), grace: profile.cancelGrace,
                stallAfter: profile.stallAfter ?? 0, usesCgroup: settings.usesCgroups,
                stallFile: logs + "/attempt-\(run.attempt).stalled", argv: profile.command)
            unlink(plan.stallFile)
            try ProcessFiles.write(plan.stdinFile, Array(run.prompt.utf8))
            let environment = AgentEnvironment.build(task: run.task, attempt: run.attempt, workspace: workspace, profile: profile,
                                                     node: nodeEnvironment, marker: "\(run.task)/\(run.attempt)/\(getpid())")
            let pid = try launcher.spawn(supervisor + plan.arguments, environment: environment)
            lock.withLock { running[run.run] = pid; runningTaskIDs[run.run] = run.task }
            watch(run, pid: pid, plan: plan, declared: run.expect + profile.expect.filter { !run.expect.contains($0) },
                  stallAfter: profile.stallAfter ?? 0)
        } catch {
            refuse(run, "cannot start: \(error)")
        }
    }

    /// The log of attempt `attempt`: its stdout and stderr, interleaved as written.
    public static func outputFile(_ workspace: String, attempt: UInt32) -> String { workspace + "/logs/output-\(attempt).log" }

    /// Bytes the attempts' logs in `logs` hold now (the per-task cap counts them all).
    static func outputBytes(_ logs: String) -> Int64 {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: logs)) ?? []
        var total: Int64 = 0
        for name in names where name.hasPrefix("output-") && name.hasSuffix(".log") {
            var info = stat()
            if lstat(logs + "/" + name, &info) == 0 { total &+= Int64(info.st_size) }
        }
        return total
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

    /// Task ids (workspace names) of the runs in progress.
    public var runningTasks: Set<String> { lock.withLock { Set(runningTaskIDs.values) } }

    /// Waits for the supervisor on a thread of its own, then makes sure the agent's group is gone
    /// (the supervisor itself may have been killed), removes the pgid file, hashes the artifacts
    /// and reports the exit (`stalled` when the supervisor's watchdog stopped it).
    private func watch(_ run: AgentRun, pid: pid_t, plan: AgentSupervisor.Plan, declared: [String], stallAfter: Nanoseconds) {
        let thread = Thread { [self] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            Self.killGroup(recordedIn: plan.pgidFile)
            unlink(plan.pgidFile)
            let outputs = AgentArtifacts.collect(plan.workspace + "/artifacts", declared: declared)
            lock.withLock { running[run.run] = nil; runningTaskIDs[run.run] = nil }
            let signalNumber = status & 0x7F
            var exit: AgentExit = signalNumber == 0 ? .exited((status >> 8) & 0xFF) : .signalled(signalNumber)
            if unlink(plan.stallFile) == 0 { exit = .stalled(silence: stallAfter) }
            deliver(.agentExited(run.run, exit, outputs))
        }
        thread.name = "mesh.agent-wait"
        thread.start()
    }

    private func refuse(_ run: AgentRun, _ reason: String) {
        deliver(.agentExited(run.run, .refused(reason)))
    }

    static func pgidFile(_ workspace: String, attempt: UInt32) -> String { workspace + "/logs/attempt-\(attempt).pgid" }
}
