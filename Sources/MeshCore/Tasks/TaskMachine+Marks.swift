/// Takeover marks (`TaskTakeoverMark`). A takeover counts once the new replica stored the next
/// epoch, and until then the taker holds it in memory only. If the taker crashes in between, the
/// new replica may hold that epoch (and take it over in turn, and run it) while the taker comes
/// back knowing only the old owner's copy, which it would keep updating: a late terminal state
/// from the old owner, stored there, would count, and the task would finish twice.
///
/// So the taker syncs a mark before its takeover's `store` leaves, and while a mark counts (the
/// record held here is older than its epoch and not terminal, or there is none) it refuses every
/// `store` of an older epoch (`declined`: the sender tries again later). A mark is settled by a
/// verification with every member known (`resolveMark`): a copy of that epoch naming this node is
/// adopted (the takeover, which this node lost); a newer or terminal copy is kept (passive), and
/// fences off the old owner's stores from then on; no such copy anywhere clears the mark.
extension TaskMachine {
    /// The epoch of `id`'s mark while it counts: the record held here (if any) is older and not
    /// terminal.
    func markedEpoch(_ id: TaskID) -> UInt64? {
        guard let epoch = takeoverMarks[id] else { return nil }
        if let record = records[id], record.state.isTerminal || record.progress.ownerEpoch >= epoch { return nil }
        return epoch
    }

    /// The takeover `record` of `id` waits for the sync of its mark before it is stored on the
    /// new replica.
    mutating func logTakeover(_ id: TaskID, _ record: TaskRecord) {
        takeoverMarks[id] = max(takeoverMarks[id] ?? 0, record.progress.ownerEpoch)
        append(TaskTakeoverMark(id: id, epoch: record.progress.ownerEpoch).logRecord)
        owned[id]?.finishingBox = FinishingRecord(record, durableAt: appended)
        finishesAwaitingSync.append((appended, id))
    }

    /// Marks that no longer count are forgotten (the log's records settle them the same way on
    /// recovery); each one that counts, with no takeover of it under way here, is verified.
    mutating func resolveMarks(peers: TaskPeers) {
        guard !takeoverMarks.isEmpty else { return }
        for id in takeoverMarks.keys.sorted() {
            guard markedEpoch(id) != nil else { takeoverMarks[id] = nil; continue }
            guard now >= quietUntil, peers.hasJoined, owned[id] == nil, verifications[id] == nil,
                  !peers.aliveNames.isEmpty else { continue }
            verify(id, purpose: .resolveMark, peers: peers)
        }
    }

    /// What one member's copy means for the mark of `id`: true when it settles it (adopted or
    /// kept), false when it says nothing of the marked epoch.
    mutating func markAnswered(_ id: TaskID, theirs: TaskRecord, isPassive: Bool, from peer: String?, peers: TaskPeers) -> Bool {
        guard let epoch = markedEpoch(id), owned[id] == nil else { return true }
        guard theirs.state.isTerminal || theirs.progress.ownerEpoch >= epoch else { return false }
        if theirs.progress.owner == name, !theirs.state.isTerminal, !isPassive, let peer, peers.isUp(peer) {
            // This node's takeover, stored there before this node lost it: this node owns it.
            adopt(theirs, holder: peer, peers: peers)
            return true
        }
        if let mine = records[id], !isNewer(theirs, than: mine) { return false }
        keepPassive(theirs)
        return true
    }

    /// No member holds the marked epoch or a newer or terminal copy: the mark ends.
    mutating func clearMark(_ id: TaskID) {
        guard let epoch = takeoverMarks.removeValue(forKey: id) else { return }
        append(TaskTakeoverMark(id: id, epoch: epoch, isCleared: true).logRecord)
        stats.takeoverMarksCleared &+= 1
    }

    /// Applies one recovered mark entry (in log order).
    mutating func recoverMark(_ mark: TaskTakeoverMark) {
        if mark.isCleared {
            if (takeoverMarks[mark.id] ?? 0) <= mark.epoch { takeoverMarks[mark.id] = nil }
        } else {
            takeoverMarks[mark.id] = max(takeoverMarks[mark.id] ?? 0, mark.epoch)
        }
    }

    /// The mark entries a snapshot carries: one per mark that counts.
    func snapshotMarks() -> [LogRecord] {
        takeoverMarks.keys.sorted().compactMap { id in
            markedEpoch(id).map { TaskTakeoverMark(id: id, epoch: $0).logRecord }
        }
    }
}
