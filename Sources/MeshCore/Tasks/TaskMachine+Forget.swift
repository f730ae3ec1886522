/// Finished tasks are forgotten (issue 9 §4: the log must not grow forever, and neither may what a
/// snapshot holds): when the log is compacted, a terminal task whose last event is older than
/// `TaskSettings.finishedRetention` (by the wall clock of the node that wrote that event) is left
/// out of the snapshot and dropped from memory, on owners and replicas alike. Each node decides
/// alone, by the same rule. A task still being worked on here is kept: an owner's entry not
/// settled (its replica has not confirmed every event, a former replica not yet released), an
/// acceptance, a cancel or a verification under way.
///
/// The retention is at least the 24-h window in which a retried submission with the same
/// idempotency key lands on the same task (the config refuses less); after it, the same key makes
/// a new task.
extension TaskMachine {
    /// Drops the finished tasks past the retention. Called just before a snapshot.
    mutating func forgetFinished() {
        let retention = Int64(clamping: settings.finishedRetention / 1_000_000)
        let horizon = at.subtractingReportingOverflow(retention)
        guard !horizon.overflow else { return }
        var forgotten: [TaskID] = []
        for (id, record) in records where record.state.isTerminal {
            guard let last = record.history.last?.at, last <= horizon.partialValue,
                  isDone(id, record), accepting[id] == nil, cancels[id] == nil, verifications[id] == nil else { continue }
            forgotten.append(id)
        }
        for id in forgotten.sorted() {
            records[id] = nil
            owned[id] = nil
            liveCopies.remove(id)
            recoveredCopies.remove(id)
            copyPushes.remove(id)
        }
        stats.tasksForgotten &+= UInt64(forgotten.count)
    }

    /// True when nothing about `record` is under way here: not owned, or owned with no run, no
    /// finish or store in flight, no former replica to release, and its replica (if any) holding
    /// every event.
    func isDone(_ id: TaskID, _ record: TaskRecord) -> Bool {
        guard let local = owned[id] else { return true }
        return local.run == nil && local.finishingBox == nil && !local.storeInFlight && !local.releaseInFlight
            && local.formerReplicas.isEmpty && (local.replica == nil || local.confirmedEvents == record.history.count)
    }
}
