/// Giving a copy back to the owner it names. A takeover counts once the new replica stored the
/// next epoch, and the taker keeps it in memory until that answer arrives (`Owned.finishing`). If
/// the taker dies in between, the replica (and the old owner, once fenced) hold an epoch that
/// names a node that, after its restart, knows only its older copy. Nobody would then run the
/// task: the owner it names is up, so no one takes it over.
///
/// So a node holding a copy pushes it (a `store` from a node that is not the owner) to the owner
/// it names whenever that owner may have lost it: when membership shows the owner with a higher
/// incarnation (it restarted, or refuted a suspicion), and for every copy recovered from this
/// node's own log (the owner may have restarted while this node was down). The owner answers
/// `stored` when it owns the task already or holds no copy of it (it never took it over),
/// `fenced` with a newer or terminal copy, `declined` while a takeover or a terminal state of it
/// is under way (the push is tried again), and otherwise adopts it: it becomes the owner, with
/// the pusher as its replica. The task is unverified, like one recovered from the log, so it
/// runs only after every check a recovered owned task passes.
extension TaskMachine {
    /// Pushes in flight at once; the rest wait for an answer or the next tick.
    static let copyPushesInFlightMax = 64

    /// True when `id` is a copy this node holds for another owner that may take it over (not
    /// owned, not passive, not terminal) of an epoch a takeover made (an owner never loses an
    /// epoch 1 it accepted: it synced it before "accepted"): one to push back when its owner may
    /// have lost it.
    func mayPush(_ id: TaskID) -> Bool {
        guard let record = records[id], owned[id] == nil, !record.state.isTerminal, record.progress.owner != name,
              record.progress.ownerEpoch >= 2 else { return false }
        return liveCopies.contains(id) || recoveredCopies.contains(id)
    }

    /// Notes each member's incarnation; the copies naming a member whose incarnation rose are
    /// pushed to it.
    mutating func noteMemberLives(peers: TaskPeers) {
        var restarted: Set<String> = []
        for member in peers.knownNames {
            guard let incarnation = peers.peers[member]?.incarnation else { continue }
            if let seen = memberLives[member], incarnation > seen { restarted.insert(member) }
            memberLives[member] = incarnation
        }
        guard !restarted.isEmpty else { return }
        for id in liveCopies.union(recoveredCopies).sorted() where mayPush(id) {
            if restarted.contains(records[id]!.progress.owner) { copyPushes.insert(id) }
        }
    }

    /// Notes the incarnation of `owner`, which just stored a copy here, unless one is noted: a
    /// node that held no task until now did not tick, and must still see the owner's next rise.
    mutating func noteLife(of owner: String, peers: TaskPeers) {
        guard memberLives[owner] == nil, let incarnation = peers.peers[owner]?.incarnation else { return }
        memberLives[owner] = incarnation
    }

    /// Sends the pending pushes whose owner is up, up to `copyPushesInFlightMax` at once.
    mutating func pushCopies(peers: TaskPeers) {
        guard !copyPushes.isEmpty else { return }
        for id in copyPushes.sorted() where pushesInFlight.count < Self.copyPushesInFlightMax {
            guard mayPush(id), let record = records[id] else { copyPushes.remove(id); continue }
            let owner = record.progress.owner
            guard !pushesInFlight.contains(id), peers.isUp(owner) else { continue }
            if openExchange(.push(id, owner: owner), to: owner, in: peers, payload: .store(record, handover: false)) {
                pushesInFlight.insert(id)
            }
        }
    }

    /// The owner's answer to a push (nil: failed; tried again on a later tick).
    mutating func pushAnswered(_ id: TaskID, _ message: TaskMessage?, peers: TaskPeers) {
        pushesInFlight.remove(id)
        switch message {
        case nil, .storeAnswer(.declined)?:
            return
        case .storeAnswer(.fenced(let theirs))?:
            copyPushes.remove(id)
            // The owner holds a newer copy, or a terminal one (the task counts as finished): this
            // node keeps that one, passive, and never takes the task over.
            guard theirs.id == id, mayPush(id), let mine = records[id] else { break }
            if theirs.state.isTerminal || isNewer(theirs, than: mine) { keepPassive(theirs) }
        default:
            copyPushes.remove(id)
        }
        pushCopies(peers: peers)
    }

    /// This node becomes the owner of `record`, a copy naming it that `holder` keeps as its
    /// replica; unverified, like a task recovered from the log.
    mutating func adopt(_ record: TaskRecord, holder: String, peers: TaskPeers) {
        let id = record.id
        liveCopies.remove(id)
        recoveredCopies.remove(id)
        copyPushes.remove(id)
        verifications[id] = nil
        commitLocally(record)
        owned[id] = Owned(isVerified: false)
        setReplica(id, holder)
        recovered(id, peers: peers)   // queued: back in the queue; running: lost, re-run at once
        stats.copiesAdopted &+= 1
    }

    /// A copy naming this node as owner, pushed by `holder`: answered, or adopted (see above).
    mutating func adoptArrived(_ record: TaskRecord, from holder: String, stream: StreamID, peers: TaskPeers) {
        let id = record.id
        if let mine = records[id], mine.state.isTerminal || isNewer(mine, than: record) {
            return emit(.answer(stream, TaskMessage.storeAnswer(.fenced(mine)).encoded()))
        }
        // Owned here already (a push after a refuted suspicion); or no copy here, so no takeover
        // from it either (a task whose acceptance this node gave up): nothing to adopt.
        if (owned[id] != nil && owned[id]?.finishing == nil) || records[id] == nil {
            return emit(.answer(stream, TaskMessage.storeAnswer(.stored(eventCount: 0)).encoded()))
        }
        if owned[id] != nil {   // a takeover or a terminal state is under way: asked again later
            return emit(.answer(stream, TaskMessage.storeAnswer(.declined).encoded()))
        }
        if isDiskFull || isLeaving || record.state.isTerminal {
            return emit(.answer(stream, TaskMessage.storeAnswer(.declined).encoded()))
        }
        // A copy older than a takeover this node marked: that takeover may be held elsewhere.
        if let epoch = markedEpoch(id), record.progress.ownerEpoch < epoch {
            return emit(.answer(stream, TaskMessage.storeAnswer(.declined).encoded()))
        }
        adopt(record, holder: holder, peers: peers)
        let answer = TaskMessage.storeAnswer(.stored(eventCount: UInt32(clamping: record.history.count))).encoded()
        if synced >= appended { return emit(.answer(stream, answer)) }
        deferredAnswers.append((appended, stream, answer))
    }
}
