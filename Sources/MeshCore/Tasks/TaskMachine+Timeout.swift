/// Timeouts and outcomes (issue 10 §3, §5): the tick stops attempts that ran past the task's
/// timeout (`stopAgent(.terminate)`, escalated to SIGKILL by the shell after the profile's
/// grace) and records `timed_out` when they have exited; an exit becomes an outcome, where exit
/// 0 without every declared output is a failure naming the missing ones.
extension TaskMachine {
    /// The control work of every tick: overdue attempts stopped, cancels whose attempt was lost
    /// recorded, entry-side cancel requests past their deadline answered.
    mutating func controlTick(peers: TaskPeers) {
        stopOverdueRuns()
        progressCancels(peers: peers)
        retryCancelRequests(peers: peers)
    }

    /// Runs past their deadline are stopped (once); their exit records `timed_out`.
    mutating func stopOverdueRuns() {
        for run in runs.keys.sorted(by: { $0.value < $1.value }) {
            guard let info = runs[run], info.stop == nil, let deadline = info.deadline, deadline <= now else { continue }
            runs[run]!.stop = .timeout
            emit(.stopAgent(run, .terminate))
        }
    }

    /// What an attempt's exit means for the task.
    func outcome(of exit: AgentExit, _ outputs: AgentOutputs, stop: RunStop?, spec: TaskSpec) -> TaskOutcome {
        if stop == .timeout { return .timedOut }
        switch exit {
        case .exited(0):
            let missing = spec.missingOutputs(in: outputs.artifacts, extra: outputs.missing)
            return missing.isEmpty ? .succeeded : .failed("missing declared outputs: " + missing.joined(separator: ", "))
        case .exited(let code): return .failed("exit \(code)")
        case .signalled(let signal): return .failed("killed by signal \(signal)")
        case .refused(let why): return .failed(why)
        case .stalled(let silence): return .failed("stalled: no output for \(TaskDuration.text(silence))")
        }
    }
}

extension TaskRecord {
    /// Puts what an ended attempt left on the event that ended it (the last one), and says in its
    /// reason how many artifacts were past the recorded bound.
    mutating func attach(_ outputs: AgentOutputs) {
        guard let last = history.indices.last else { return }
        var event = history[last]
        event.artifacts = Array(outputs.artifacts.prefix(TaskLimits.artifactsRecordedMax))
        let unrecorded = outputs.unrecorded &+ max(outputs.artifacts.count - TaskLimits.artifactsRecordedMax, 0)
        if unrecorded > 0 {
            event.reason = TaskEvent.cut(event.reason + "; \(unrecorded) more artifacts not recorded", to: TaskLimits.reasonBytesMax)
        }
        history[last] = event
    }

    /// The artifacts of the latest event that has any, with its attempt and node (what a reader
    /// checks downloaded artifacts against); nil when no attempt left any.
    public var latestArtifacts: (attempt: UInt32, node: String, files: [TaskFile])? {
        guard let event = history.last(where: { !$0.artifacts.isEmpty }) else { return nil }
        return (event.attempt, event.node, event.artifacts)
    }
}
