import Glibc
import MeshCore

/// What the shell measures for `/metrics` beyond the counters it already keeps: the latency of
/// submissions and the duration of attempts (histograms), and the byte counters of logs and
/// artifacts. Log bytes are counted when an attempt ends (the size of its log files); the artifact
/// counters are hooks: whoever stores or serves an artifact adds its bytes here
/// (`artifactBytesStored`, `artifactBytesServed`).
struct APIMetrics {
    /// Bucket bounds (seconds) of the submission latency: a submission waits for two fsyncs.
    static let submitBounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    /// Bucket bounds (seconds) of attempt durations: agents run from a second to hours.
    static let attemptBounds: [Double] = [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 14_400]
    /// Attempts in flight whose start is remembered; past it the oldest is forgotten (not measured).
    static let runsTrackedMax = 4_096

    /// `POST /v1/tasks` received → `201`/`200` sent, at the node the client talked to.
    var submitLatency = Histogram(bounds: APIMetrics.submitBounds)
    /// Agent run started → exited, on the node that ran it.
    var attemptDuration = Histogram(bounds: APIMetrics.attemptBounds)
    /// Bytes of agent output written to attempt logs on this node.
    var logBytes: UInt64 = 0
    /// Bytes of artifacts stored on this node (collected from a workspace or copied from a peer).
    var artifactBytesStored: UInt64 = 0
    /// Bytes of artifacts this node sent to clients or peers.
    var artifactBytesServed: UInt64 = 0
    private var runStarts: [(run: AgentRun, at: Int64)] = []

    mutating func attemptStarted(_ run: AgentRun) {
        if runStarts.count >= Self.runsTrackedMax { runStarts.removeFirst() }
        runStarts.append((run, SystemClock.monotonicNanoseconds()))
    }

    /// Measures the run's duration; with a data directory, adds the bytes its attempt's log files
    /// hold (`output-A.log`, or `stdout-A.log` and `stderr-A.log`) to `logBytes`.
    mutating func attemptEnded(_ run: RunID, dataPath: String?) {
        guard let index = runStarts.firstIndex(where: { $0.run.run == run }) else { return }
        let (started, at) = runStarts.remove(at: index)
        attemptDuration.observe(nanoseconds: SystemClock.monotonicNanoseconds() &- at)
        guard let dataPath else { return }
        let logs = "\(dataPath)/tasks/\(started.task)/logs/"
        for name in ["output", "stdout", "stderr"] {
            var info = stat()
            if stat(logs + "\(name)-\(started.attempt).log", &info) == 0 { logBytes &+= UInt64(clamping: info.st_size) }
        }
    }
}

extension NodeShell {
    /// Counts what `/metrics` reports of a core event (before the monitor's bookkeeping sees it).
    func countForMetrics(_ event: MeshEvent) {
        switch event {
        case .suspicionRaised: counters.suspicionsRaised &+= 1
        case .refuted: counters.selfRefutations &+= 1
        case .memberChanged(let name, .alive, _, _) where operatorState.lastStatus[name] == .suspect:
            counters.suspicionsRefuted &+= 1
        default: break
        }
    }

    /// `GET /metrics`: this node's view, in the Prometheus text format.
    func metricsResponse() -> HTTPResponse {
        HTTPResponse(status: 200, headers: [("Content-Type", PrometheusText.contentType)], body: Array(metricsText().utf8))
    }

    func metricsText() -> String {
        var out = PrometheusText()
        let health = healthReport()
        out.family("mesh_members", "gauge", "Members this node knows (itself included), by state.",
                   health.members.sorted { $0.key < $1.key }.map { ([("state", $0.key)], Double($0.value)) })
        out.single("mesh_probes_total", "counter", "Probes this node started.", Double(core.membership.probeStats.started))
        out.single("mesh_probes_failed_total", "counter", "Probes that got no ack, direct or indirect, in time.",
                   Double(core.membership.probeStats.failed))
        out.single("mesh_suspicions_raised_total", "counter", "Suspicions this node raised after a failed probe.",
                   Double(counters.suspicionsRaised))
        out.single("mesh_suspicions_refuted_total", "counter", "Members seen going from suspect back to alive.",
                   Double(counters.suspicionsRefuted))
        out.single("mesh_self_refutations_total", "counter", "Suspicions of this node that it refuted.",
                   Double(counters.selfRefutations))
        out.family("mesh_datagrams_total", "counter", "UDP datagrams, by direction.",
                   [([("direction", "in")], Double(counters.datagramsReceived)), ([("direction", "out")], Double(counters.datagramsSent))])
        out.family("mesh_datagram_bytes_total", "counter", "UDP datagram bytes, by direction.",
                   [([("direction", "in")], Double(counters.datagramBytesReceived)),
                    ([("direction", "out")], Double(counters.datagramBytesSent))])
        out.family("mesh_stream_bytes_total", "counter", "TCP stream bytes between members, by direction.",
                   [([("direction", "in")], Double(streams.counters.bytesReceived)), ([("direction", "out")], Double(streams.counters.bytesSent))])
        out.family("mesh_drops_total", "counter", "Datagrams and stream frames dropped, by reason.",
                   allDrops.sorted { $0.key < $1.key }.map { ([("reason", $0.key)], Double($0.value)) })
        out.family("mesh_control_rejections_total", "counter", "Control API connections and requests refused, by reason.",
                   ControlRejection.allCases.map { ([("reason", $0.rawValue)], Double(control?.rejections[$0] ?? 0)) })
        taskMetrics(&out)
        out.single("mesh_event_streams", "gauge", "Server-Sent Events streams open on the control API.",
                   Double(control?.eventStreamCount ?? 0))
        out.single("mesh_uptime_seconds", "gauge", "Seconds since this node started.", health.uptimeSeconds)
        out.single("mesh_health_score", "gauge", "Lifeguard local health score (0 is healthy).", Double(health.healthScore))
        return out.text
    }

    private func taskMetrics(_ out: inout PrometheusText) {
        var byState: [TaskState: Int] = [:]
        for state in TaskState.allCases { byState[state] = 0 }
        for record in core.tasks.records.values where record.progress.owner == core.name { byState[record.state, default: 0] += 1 }
        out.family("mesh_tasks", "gauge", "Tasks this node owns, by state (summed over nodes: the mesh's tasks).",
                   TaskState.allCases.map { ([("state", $0.rawValue)], Double(byState[$0] ?? 0)) })
        let stats = core.tasks.stats
        out.family("mesh_task_submissions_total", "counter", "Submissions this node handled as owner or entry, by outcome.",
                   [([("outcome", "accepted")], Double(stats.accepted)), ([("outcome", "duplicate")], Double(stats.duplicates)),
                    ([("outcome", "refused")], Double(stats.refused)), ([("outcome", "forwarded")], Double(stats.forwarded))])
        out.single("mesh_attempts_started_total", "counter", "Attempts this node started as owner.", Double(stats.attemptsStarted))
        out.histogram("mesh_task_submit_seconds", "Submission received to accepted answer sent, at the entry node.",
                      apiMetrics.submitLatency)
        out.histogram("mesh_attempt_seconds", "Agent run started to exited, on the node that ran it.", apiMetrics.attemptDuration)
        let profiles = core.capacity.entry(core.name)?.record.profiles ?? []
        out.family("mesh_slots", "gauge", "Agent slots of this node, by profile.",
                   profiles.map { ([("profile", $0.name)], Double($0.slots)) })
        out.family("mesh_slots_busy", "gauge", "Agent slots of this node running an attempt, by profile.",
                   profiles.map { ([("profile", $0.name)], Double($0.busy)) })
        out.single("mesh_log_bytes_total", "counter", "Agent output bytes written to attempt logs on this node.",
                   Double(apiMetrics.logBytes))
        out.family("mesh_artifact_bytes_total", "counter", "Artifact bytes stored on this node and served by it.",
                   [([("direction", "stored")], Double(apiMetrics.artifactBytesStored)),
                    ([("direction", "served")], Double(apiMetrics.artifactBytesServed))])
    }
}
