import MeshCore

/// What the tasks layer's cancels got back, counted.
struct CancelCounts: Sendable {
    var sent = 0
    /// Answered `cancelled` (200): the task must end cancelled, and already has, durably.
    var acknowledged = 0
    /// Answered "already finished" (409).
    var finished = 0
    /// Answered `cancelling` (202: the stop was sent, the outcome not yet recorded).
    var cancelling = 0
    var refused = 0
    var notFound = 0
}

/// The tasks layer's cancels (`TaskCancelSettings`): planned at acceptance, sent through a random
/// live node, and their answers checked against what the logs hold:
/// - a `cancelled` answer is given only once `cancelled` is the task's terminal state, synced
///   (checked when the answer arrives), and the task never ends otherwise (checked at the end);
/// - an "already finished" answer names the state the task really ended in.
extension Simulation {
    /// Plans the cancels of a task just accepted (none when the scenario has no `cancels`).
    func planCancels(_ id: TaskID) {
        guard let settings = taskWorkload?.settings.cancels, random.unit() < settings.share else { return }
        let at = now + random.nanoseconds(settings.delayMin, settings.delayMax)
        queue.push(at, .taskCancel(id))
        if random.unit() < settings.repeatShare { queue.push(at + random.nanoseconds(0, .milliseconds(50)), .taskCancel(id)) }
    }

    /// Sends one cancel of `id` through a random running node.
    func sendCancel(_ id: TaskID) {
        guard var workload = taskWorkload else { return }
        let live = nodes.indices.filter { isRunning($0) && now >= nodes[$0].pausedUntil }
        guard !live.isEmpty else { return }
        let entry = live[random.below(live.count)]
        workload.nextRequest += 1
        let request = workload.nextRequest
        workload.pendingCancels[request] = id
        workload.cancelCounts.sent += 1
        taskWorkload = workload
        trace.mix(55); trace.mix(entry); trace.mix(request)
        apply(entry, nodes[entry].instance!.handle(.control(RequestID(request), .cancelTask(id)), at: moment))
    }

    /// The answer to a cancel; false when `request` was not one.
    func cancelReplied(_ request: RequestID, _ reply: ControlReply) -> Bool {
        guard var workload = taskWorkload, let id = workload.pendingCancels.removeValue(forKey: request.value) else { return false }
        let terminal = taskOutcomes?.safety.terminal[id]
        trace.mix(56)
        switch reply {
        case .taskCancelled(let record):
            workload.cancelCounts.acknowledged += 1
            workload.cancelAcknowledged.insert(id)
            if record.state != .cancelled || terminal?.state != .task(.cancelled) {
                violation("\(timestamp) cancel of \(id) answered cancelled (record \(record.state)) while its synced terminal state is \(terminal.map { "\($0.state)" } ?? "none")")
            }
        case .taskFinished(let record):
            workload.cancelCounts.finished += 1
            workload.finishedClaims[id] = record.state
            if !record.state.isTerminal { violation("\(timestamp) cancel of \(id) answered finished with a \(record.state) record") }
        case .taskCancelling: workload.cancelCounts.cancelling += 1
        case .refused: workload.cancelCounts.refused += 1
        case .taskNotFound: workload.cancelCounts.notFound += 1
        default: break
        }
        taskWorkload = workload
        return true
    }

    /// At the end: acknowledged cancels whose task did not end cancelled (must be 0), and
    /// "already finished" answers that named another state than the one the task ended in.
    func cancelsBroken(terminal: [TaskID: TaskEvent]) -> (lost: Int, wrongClaims: Int) {
        guard let workload = taskWorkload else { return (0, 0) }
        let lost = workload.cancelAcknowledged.filter { terminal[$0]?.state != .task(.cancelled) }.count
        let wrong = workload.finishedClaims.filter { id, state in terminal[id].map { $0.state != .task(state) } ?? false }.count
        return (lost, wrong)
    }
}
