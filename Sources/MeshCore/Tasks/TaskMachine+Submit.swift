/// Submission: the entry node places the task and forwards it to its owner (at most `hopsMax`
/// times); the owner re-checks, dedupes, bounds its queue, appends and syncs, and stores the record
/// on a replica. The client hears "accepted" only once both copies are synced.
extension TaskMachine {
    /// A control request `submitTask`: this node is the entry node.
    mutating func submit(_ spec: TaskSpec, request: RequestID, peers: TaskPeers) {
        if let problem = spec.validationError() { return answer(.control(request), .refused(.badField(problem))) }
        let id = spec.idempotencyKey.map(TaskID.idempotent(key:)) ?? idGenerator.next()
        route(id, spec, hops: 0, origin: .control(request), peers: peers)
    }

    /// A required tag that no member (alive or not) advertising `spec.profile` carries, node-level
    /// or on the profile; nil when every tag is carried by one such member at least.
    static func tagNoMemberCarries(_ spec: TaskSpec, candidates: [PlacementCandidate]) -> String? {
        guard !spec.tags.isEmpty else { return nil }
        let runners = candidates.filter { $0.slotCount(spec.profile) > 0 }
        guard !runners.isEmpty else { return nil }   // the profile is local only: placement decides
        return spec.tags.first { tag in
            !runners.contains { $0.tags.contains(tag) || ($0.profileTags[spec.profile] ?? []).contains(tag) }
        }
    }

    /// A `submit` from another node (`hops` forwards so far).
    mutating func submitArrived(_ id: TaskID, _ spec: TaskSpec, hops: UInt8, stream: StreamID, peers: TaskPeers) {
        route(id, spec, hops: hops, origin: .stream(stream), peers: peers)
    }

    /// Keeps the task (this node is its owner, or the hop limit is reached) or forwards it.
    mutating func route(_ id: TaskID, _ spec: TaskSpec, hops: UInt8, origin: Origin, peers: TaskPeers) {
        if let record = records[id] { return answerExisting(record, origin: origin) }
        if isLeaving { return answer(origin, .refused(.leaving)) }
        guard peers.hasJoined else { return answer(origin, .refused(.unavailable("\(name) has not joined the mesh yet"))) }
        guard peers.advertised.contains(spec.profile) || slots[spec.profile] != nil else {
            return answer(origin, .refused(.unknownProfile(spec.profile)))
        }
        if let missing = Self.tagNoMemberCarries(spec, candidates: peers.candidates) {
            // Like an unknown profile: no member of the mesh, alive or not, could ever take it.
            return answer(origin, .refused(.badField(TaskFieldError("tags", "no member carries tag '\(TaskEvent.cut(missing, to: 64))' with profile \(spec.profile)"))))
        }
        // Every member's load as gossiped, this node's included: the entry and the owner it
        // forwards to then see the same loads, so the owner's re-check agrees with the entry.
        let query = PlacementQuery(key: spec.placementKey(id: id), profile: spec.profile, requiredTags: spec.tags)
        let placement = placementCache.place(query, peers: peers)
        let owner = placement.owner ?? fallbackOwner(placement, spec: spec)
        guard let owner else {
            let why = placement.skipped.prefix(4).map { "\($0.name) \($0.reason)" }.joined(separator: "; ")
            return answer(origin, .refused(.noEligibleNode(why.isEmpty ? "no member can run \(spec.profile)" : why)))
        }
        // A forwarded task stays here unless this node cannot take it in its own view (it does not
        // run the profile, lacks a tag, or is past its load bound): views that differ only in where
        // the walk stops do not cost a second forward.
        let canKeep = hops > 0 && slots[spec.profile] != nil && !placement.skipped.contains { $0.name == name }
        if owner == name || canKeep || hops >= settings.hopsMax || peers.address(of: owner) == nil {
            return accept(id, spec, origin: origin, peers: peers)
        }
        stats.forwarded &+= 1
        if hops > 0 { stats.forwardedAgain &+= 1 }
        let forward = Forward(origin: origin, id: id, spec: spec, hops: hops &+ 1, tried: [owner], deadline: now + settings.requestDeadline)
        send(forward, to: owner, peers: peers)
    }

    /// Sends (or resends) a forward to `owner`; kept here when it cannot be opened.
    mutating func send(_ forward: Forward, to owner: String, peers: TaskPeers) {
        let message = TaskMessage.submit(id: forward.id, spec: forward.spec, hops: forward.hops)
        if !openExchange(.forward(forward), to: owner, in: peers, payload: message) {
            accept(forward.id, forward.spec, origin: forward.origin, peers: peers)
        }
    }

    /// When every eligible member is at its load bound, the first one on the ring still takes the
    /// task (it queues): "busy" is the owner's queue bound, not the ring's balance.
    func fallbackOwner(_ placement: Placement, spec: TaskSpec) -> String? {
        placement.skipped.first(where: { $0.reason.isFull })?.name
    }

    /// Tasks assigned to this node now: running plus ready (what its capacity record gossips).
    var localAssigned: Int { runs.count &+ ready.values.reduce(0) { $0 &+ $1.count } }

    /// The owner's side: checks, then appends, syncs and stores on a replica.
    mutating func accept(_ id: TaskID, _ spec: TaskSpec, origin: Origin, peers: TaskPeers) {
        if let record = records[id] { return answerExisting(record, origin: origin) }
        if isLeaving { return answer(origin, .refused(.leaving)) }
        if isDiskFull { return answer(origin, .refused(.diskFull)) }
        guard peers.hasJoined else { return answer(origin, .refused(.unavailable("\(name) has not joined the mesh yet"))) }
        guard slots[spec.profile] != nil else {
            return answer(origin, .refused(.noEligibleNode("\(name) does not run \(spec.profile) and the hop limit is reached")))
        }
        guard waitingCount(spec.profile) < settings.queueMax, records.count < TaskSettings.tasksHeldMax,
              accepting.count < TaskSettings.pendingRequestsMax else {
            return answer(origin, .refused(.busy("\(name)'s queue for \(spec.profile) holds \(settings.queueMax) tasks")))
        }
        let replica = peers.replicaCandidates(key: spec.placementKey(id: id), count: 1).first
        var record = TaskRecord(id: id, spec: spec, owner: name, ownerEpoch: 1, copies: replica == nil ? 1 : 2, at: at)
        // Accepted and queued in one record: one append, one sync and one `store` per new task
        // (it enters the ready queue only once both copies hold it, in `acceptanceProgressed`).
        _ = record.apply(.queue, by: name, at: at)
        records[id] = record
        owned[id] = Owned(triedReplicas: replica.map { [$0] } ?? [])
        append(TaskLogEntry.created(record).logRecord)
        setReplica(id, replica)
        accepting[id] = Acceptance(origin: origin, position: appended, deadline: now + settings.requestDeadline)
        if replica != nil { replicate(id, peers: peers) }
    }

    /// Tasks of `profile` accepted here and not running (accepted, queued, retrying).
    func waitingCount(_ profile: String) -> Int {
        var count = ready[profile]?.count ?? 0
        for id in accepting.keys where records[id]?.spec.profile == profile { count &+= 1 }
        return count
    }

    /// The answer for a task this node already holds (a resubmission).
    mutating func answerExisting(_ record: TaskRecord, origin: Origin) {
        if accepting[record.id] != nil {
            return answer(origin, .refused(.unavailable("task \(record.id) is being stored; submit again")))
        }
        stats.duplicates &+= 1
        answer(origin, .accepted(TaskAcceptance(id: record.id, state: record.state, copies: record.progress.copies, isDuplicate: true)))
    }

    /// Answers whoever waits for a submission.
    mutating func answer(_ origin: Origin, _ answer: TaskSubmitAnswer) {
        if case .refused = answer { stats.refused &+= 1 }
        switch origin {
        case .control(let request):
            switch answer {
            case .accepted(let acceptance): emit(.reply(request, .taskAccepted(acceptance)))
            case .refused(let refusal): emit(.reply(request, .taskRefused(refusal)))
            }
        case .stream(let stream):
            emit(.answer(stream, TaskMessage.submitted(answer).encoded()))
        }
    }

    /// A forwarded submission's answer (or failure: nil). When the request never reached the
    /// owner (no connection), the next candidate of the placement without the owners tried gets
    /// it, up to `forwardTriesMax` owners within the deadline. A request that may have arrived is
    /// never sent elsewhere: that could make two owners of one task.
    mutating func forwardAnswered(_ forward: Forward, _ message: TaskMessage?, requestSent: Bool, peers: TaskPeers) {
        if case .submitted(let answer)? = message { return self.answer(forward.origin, answer) }
        let triedOwner = forward.tried.last.map { " (\($0))" } ?? ""
        let unanswered = TaskSubmitAnswer.refused(.unavailable("the owner of task \(forward.id)\(triedOwner) did not answer"))
        guard !requestSent, forward.tried.count < TaskSettings.forwardTriesMax, now < forward.deadline else {
            return answer(forward.origin, unanswered)
        }
        if let record = records[forward.id] { return answerExisting(record, origin: forward.origin) }
        let query = PlacementQuery(key: forward.spec.placementKey(id: forward.id), profile: forward.spec.profile, requiredTags: forward.spec.tags)
        let view = PlacementView(candidates: peers.candidates.filter { !forward.tried.contains($0.name) })
        let placement = view.place(query, assigned: peers.assigned)
        guard let owner = placement.owner ?? fallbackOwner(placement, spec: forward.spec) else { return answer(forward.origin, unanswered) }
        if owner == name || peers.address(of: owner) == nil {
            return accept(forward.id, forward.spec, origin: forward.origin, peers: peers)
        }
        var next = forward
        next.tried.append(owner)
        send(next, to: owner, peers: peers)
    }

    /// Checks whether a new task has both copies; answers and schedules it when it has.
    mutating func acceptanceProgressed(_ id: TaskID, peers: TaskPeers) {
        guard let waiting = accepting[id], waiting.isSynced, let record = records[id], let local = owned[id] else { return }
        let replicaHolds = local.replica == nil || local.confirmedEvents >= 1
        guard replicaHolds else { return }
        accepting[id] = nil
        stats.accepted &+= 1
        // A new task is stored accepted and queued at once; the answer names the acceptance.
        let state = record.state == .queued ? .accepted : record.state
        answer(waiting.origin, .accepted(TaskAcceptance(id: id, state: state, copies: record.progress.copies)))
        schedule(id, peers: peers)
    }

    /// No replica confirmed a new task in time: it is cancelled, and the client hears why. When the
    /// replica may hold a copy (its answer was lost), the cancellation is a terminal state like
    /// any other: it counts only once that replica stored it, so a replica that took the task over
    /// meanwhile fences it off (the task then runs there, once) instead of both ending it.
    mutating func acceptanceFailed(_ id: TaskID, why: String, peers: TaskPeers) {
        guard let waiting = accepting.removeValue(forKey: id), var record = records[id] else { return }
        _ = record.apply(.cancel(reason: "could not store a second copy: \(why)"), by: name, at: at)
        answer(waiting.origin, .refused(.notStored(why)))
        if owned[id]?.replicaMayHoldCopy == true { return finish(id, record, peers: peers) }
        commitLocally(record)
    }
}
