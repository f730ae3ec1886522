/// A replica copy whose owner let the lease lapse while alive: the owner moved on.
///
/// The pair (owner, replica) is a task's configuration, and an owner changes it (a new replica)
/// only with a majority of the mesh, while the replica it leaves may be cut off and hear nothing.
/// That old replica must not take the task over later with a majority of its own (a second
/// partition, the owner and the new replica cut off): the two pairs would both commit a terminal
/// state. An owner renews with the replica of every unfinished task it owns every
/// `leaseRenewInterval`; when the lease this node granted lapsed a whole `leaseDuration` ago
/// (plus `takeoverMargin`) while membership holds the owner alive (or suspect for long: below;
/// a partition that cuts the owner off from the whole mesh makes it dead soon enough, and such a
/// copy is taken over as before), the owner no longer counts
/// on this node for its unfinished tasks (it replaced it, or finished them). Its unfinished
/// copies here are then treated like copies recovered from the log: taken over only with a full
/// view and an answer from every member known but the owner (`TaskMachine+Verify`), which finds
/// the newer pair. A `store` from the owner makes a copy live again.
///
/// A suspect owner counts as alive here once it has stayed suspect past the suspicion timeout a
/// crash gets (every member confirms a crashed member's suspicion, so it ends by then): only a cut
/// between the owner and this node keeps it suspect that long, while the rest of the mesh, which
/// reaches it, may let it replace this node. A later cut of the owner and its new replica from the
/// rest must not then hand this node the task (`tasks-partition.json` seed 236 finished a task
/// twice that way, the owner suspect here for 8 s while it finished with its new replica).
extension TaskMachine {
    /// Moves to `recoveredCopies` the unfinished live copies of owners whose lease lapsed while
    /// alive (or suspect for longer than a crash stays suspect).
    mutating func demoteLapsedCopies(peers: TaskPeers) {
        var owners: Set<String> = []
        for owner in grants.keys.sorted() {
            let grant = grants[owner]!
            let lapsed = grant + settings.leaseDuration + settings.takeoverMargin
            let status = peers.status(of: owner)
            let lapsedAlive = (status == .alive && lapsed <= now)
                || (status == .suspect && lapsed + peers.suspicionTimeoutMin <= now)
            guard lapsedAlive, lapsedChecked[owner] != grant else { continue }
            lapsedChecked[owner] = grant
            owners.insert(owner)
        }
        guard !owners.isEmpty else { return }
        for id in liveCopies.sorted() {
            guard let record = records[id], owned[id] == nil, !record.state.isTerminal,
                  owners.contains(record.progress.owner) else { continue }
            liveCopies.remove(id)
            recoveredCopies.insert(id)
        }
    }
}
