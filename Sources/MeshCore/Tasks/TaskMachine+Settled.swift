/// Which owned tasks the tick's per-task passes walk. A task that is settled (queued or finished,
/// its replica holding every event, nothing in flight, nothing being verified, taken over or
/// released) is a no-op for every one of those passes until it changes; `OwnedTasks` notes every
/// change (its entry set, its record committed), so a tick walks only the tasks changed since the
/// last tick found them settled. Without this a node holding thousands of queued tasks walked all
/// of them several times every `leaseRenewInterval`, and the cost of every task grew with the
/// number held. The walks keep their ascending order, so skipping settled tasks changes no effect.
///
/// The one pass that can act on a settled task is `replaceDeadReplicas` (its replica went down):
/// it walks every owned task while any replica in use is down.
extension TaskMachine {
    /// The owned ids a per-task pass of the tick walks (ascending): the unsettled ones.
    var tickIDs: [TaskID] { owned.unsettledIDs }

    /// The owned ids `replaceDeadReplicas` walks: every one while a replica in use is down, else
    /// the unsettled ones (a settled task has a replica, and only a down one makes it act).
    mutating func replicaCheckIDs(peers: TaskPeers) -> [TaskID] {
        let anyDown = owned.replicaUse.keys.contains { peers.status(of: $0)?.isDown ?? false }
        return anyDown ? owned.ids : owned.unsettledIDs
    }

    /// True when no per-task pass of the tick can act on `id` until it changes.
    func isSettled(_ id: TaskID) -> Bool {
        guard let local = owned[id], let record = records[id] else { return false }
        guard local.run == nil, local.finishingBox == nil, local.isVerified, !local.storeInFlight, !local.releaseInFlight,
              local.formerReplicas.isEmpty, local.replica != nil, accepting[id] == nil, verifications[id] == nil else { return false }
        return record.state != .running && record.state != .retrying && local.confirmedEvents == record.history.count
    }

    /// At the end of a tick: the unsettled tasks that are settled now leave the walk.
    mutating func settleOwned() {
        for id in owned.unsettledIDs where isSettled(id) { owned.settle(id) }
    }
}
