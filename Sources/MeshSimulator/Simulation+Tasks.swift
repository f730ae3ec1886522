import MeshCore

/// The tasks layer's driver: submissions through random live nodes (control requests), fake
/// agent processes that run for a drawn time and exit 0 or 1 by the seed, and the answers.
struct TaskWorkload {
    let settings: TaskWorkloadSettings
    /// Submissions made; each has its own idempotency key `t<n>`.
    var submitted = 0
    /// Requests waiting for an answer: request number → the task's id.
    var pending: [UInt64: TaskID] = [:]
    var nextRequest: UInt64 = 1 << 40
    /// Tasks the mesh answered "accepted" (not duplicates), in order, and their copies.
    var accepted: [TaskID] = []
    var acceptedSet: Set<TaskID> = []
    var singleCopy = 0
    /// Refusals by code.
    var refused: [String: Int] = [:]
    /// Fake agents running: (node, run) → still live (false once stopped).
    var agents: [UInt64: AgentRun] = [:]
    var agentsStarted = 0
    var agentsStopped = 0
    /// Per task, the highest attempt any agent started, and (task, attempt, node) that exited 0.
    var latestAttempt: [TaskID: UInt32] = [:]
    var succeededRuns: Set<String> = []
    /// Cancel requests waiting for an answer: request number → the task's id.
    var pendingCancels: [UInt64: TaskID] = [:]
    var cancelCounts = CancelCounts()
    /// Tasks a cancel was answered `cancelled` for: each must end cancelled.
    var cancelAcknowledged: Set<TaskID> = []
    /// Tasks a cancel was answered "already finished" for, with the state it named.
    var finishedClaims: [TaskID: TaskState] = [:]

    init(settings: TaskWorkloadSettings) { self.settings = settings }

    var submitGap: Nanoseconds { Nanoseconds(1e9 / settings.rate) }
}

extension Simulation {
    /// Plans the first submission (the layer is installed before the run starts).
    func startTaskWorkload() {
        guard let workload = taskWorkload else { return }
        queue.push(Nanoseconds.seconds(5) + random.nanoseconds(0, workload.submitGap), .taskSubmit)
    }

    /// Submits the next task through a random running node, and plans the one after.
    func submitTask() {
        guard var workload = taskWorkload else { return }
        let until = workload.settings.untilSeconds.map { Nanoseconds.seconds(fraction: $0) } ?? scenario.duration
        guard now <= until else { return }
        queue.push(now + random.nanoseconds(workload.submitGap / 2, workload.submitGap * 3 / 2), .taskSubmit)
        let live = nodes.indices.filter { isRunning($0) && now >= nodes[$0].pausedUntil }
        guard !live.isEmpty else { return }
        let entry = live[random.below(live.count)]
        let key = "t\(workload.submitted)"
        workload.submitted += 1
        let profiles = workload.settings.profiles.keys.sorted()
        let spec = TaskSpec(profile: profiles[random.below(profiles.count)], prompt: "task \(key)",
                            attemptsMax: UInt32(workload.settings.attempts), idempotencyKey: key)
        workload.nextRequest += 1
        let request = workload.nextRequest
        workload.pending[request] = TaskID.idempotent(key: key)
        taskWorkload = workload
        trace.mix(50); trace.mix(entry); trace.mix(request)
        apply(entry, nodes[entry].instance!.handle(.control(RequestID(request), .submitTask(spec)), at: moment))
    }

    /// A node's reply to a control request.
    func controlReplied(_ request: RequestID, _ reply: ControlReply, node: Int) {
        if cancelReplied(request, reply) { return }
        guard var workload = taskWorkload, let id = workload.pending.removeValue(forKey: request.value) else { return }
        switch reply {
        case .taskAccepted(let acceptance):
            trace.mix(51); trace.mix(UInt64(acceptance.copies))
            if !workload.acceptedSet.contains(id) {
                workload.accepted.append(id)
                workload.acceptedSet.insert(id)
                if acceptance.copies < 2 { workload.singleCopy += 1 }
            }
        case .taskRefused(let refusal):
            trace.mix(52)
            workload.refused[refusal.code, default: 0] += 1
        default:
            break
        }
        let isNew = workload.accepted.count > (taskWorkload?.accepted.count ?? 0)
        taskWorkload = workload
        if isNew { planCancels(id) }
    }

    /// `startAgent`: the fake agent runs for a drawn time, then exits 0 or 1.
    func startFakeAgent(_ run: AgentRun, node: Int) {
        guard var workload = taskWorkload, let id = TaskID(run.task) else { return }
        let duration = random.nanoseconds(workload.settings.durationMin, workload.settings.durationMax)
        let fails = random.unit() < workload.settings.failRate
        workload.agents[Simulation.pairKey(node, Int(truncatingIfNeeded: run.run.value))] = run
        workload.agentsStarted += 1
        workload.latestAttempt[id] = max(workload.latestAttempt[id] ?? 0, run.attempt)
        taskWorkload = workload
        trace.mix(53); trace.mix(node); trace.mix(run.run.value); trace.mix(UInt64(duration))
        queue.push(now + duration, .agentDone(node: node, life: nodes[node].life, run.run, .exited(fails ? 1 : 0)))
    }

    /// `stopAgent`: the process group dies at once (1 ms); its exit reports the signal. With
    /// cancels in the scenario, a SIGTERM'd agent takes a drawn time to end (its grace).
    func stopFakeAgent(_ run: RunID, _ signal: StopSignal, node: Int) {
        guard var workload = taskWorkload, workload.agents[Simulation.pairKey(node, Int(truncatingIfNeeded: run.value))] != nil else { return }
        workload.agentsStopped += 1
        taskWorkload = workload
        var delay: Nanoseconds = .milliseconds(1)
        if signal == .terminate, let cancels = workload.settings.cancels { delay = random.nanoseconds(cancels.stopMin, cancels.stopMax) }
        queue.push(now + delay, .agentDone(node: node, life: nodes[node].life, run, .signalled(delay > .milliseconds(1) ? 15 : 9)))
    }

    /// A fake agent's exit reaches its node (unless the node died, or the run already ended).
    func agentDone(_ node: Int, life: Int, _ run: RunID, _ exit: AgentExit) {
        guard var workload = taskWorkload, nodes[node].life == life, nodes[node].instance != nil else { return }
        if deferIfPaused(node, .agentDone(node: node, life: life, run, exit)) { return }
        guard let agent = workload.agents.removeValue(forKey: Simulation.pairKey(node, Int(truncatingIfNeeded: run.value))) else { return }
        if exit == .exited(0) { workload.succeededRuns.insert("\(agent.task)/\(agent.attempt)/\(nodes[node].name)") }
        taskWorkload = workload
        trace.mix(54); trace.mix(node); trace.mix(run.value)
        apply(node, nodes[node].instance!.handle(.agentExited(run, exit), at: moment))
    }

    /// A crash kills the node's agents with it.
    func killFakeAgents(of node: Int) {
        guard var workload = taskWorkload else { return }
        for key in workload.agents.keys.sorted() where Int(key >> 32) == node { workload.agents[key] = nil }
        taskWorkload = workload
    }
}
