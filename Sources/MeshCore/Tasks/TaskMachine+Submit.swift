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
        let query = PlacementQuery(key: spec.placementKey(id: id), profile: spec.profile, requiredTags: spec.tags)
        let view = PlacementView(candidates: peers.candidates)
        var assigned = peers.assigned
        assigned[name] = localAssigned
        let placement = view.place(query, assigned: assigned)
        let owner = placement.owner ?? fallbackOwner(placement, spec: spec)
        guard let owner else {
            let why = placement.skipped.prefix(4).map { "\($0.name) \($0.reason)" }.joined(separator: "; ")
            return answer(origin, .refused(.noEligibleNode(why.isEmpty ? "no member can run \(spec.profile)" : why)))
        }
        if owner == name || hops >= settings.hopsMax || peers.address(of: owner) == nil {
            return accept(id, spec, origin: origin, peers: peers)
        }
        stats.forwarded &+= 1
        if hops > 0 { stats.forwardedAgain &+= 1 }
        let message = TaskMessage.submit(id: id, spec: spec, hops: hops &+ 1)
        if !openExchange(.forward(origin, id), to: owner, in: peers, payload: message) {
            accept(id, spec, origin: origin, peers: peers)
        }
    }

    /// When every eligible member is at its load bound, the first one on the ring still takes the
    /// task (it queues): "busy" is the owner's queue bound, not the ring's balance.
    func fallbackOwner(_ placement: Placement, spec: TaskSpec) -> String? {
        placement.skipped.first(where: { $0.reason.isFull })?.name
    }

    /// Tasks assigned to this node now: running plus ready.
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
        let record = TaskRecord(id: id, spec: spec, owner: name, ownerEpoch: 1, copies: replica == nil ? 1 : 2, at: at)
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

    /// A forwarded submission's answer (or failure: nil).
    mutating func forwardAnswered(_ origin: Origin, _ id: TaskID, _ message: TaskMessage?) {
        guard case .submitted(let answer)? = message else {
            return self.answer(origin, .refused(.unavailable("the owner of task \(id) did not answer")))
        }
        self.answer(origin, answer)
    }

    /// Checks whether a new task has both copies; answers and schedules it when it has.
    mutating func acceptanceProgressed(_ id: TaskID, peers: TaskPeers) {
        guard let waiting = accepting[id], waiting.isSynced, let record = records[id], let local = owned[id] else { return }
        let replicaHolds = local.replica == nil || local.confirmedEvents >= 1
        guard replicaHolds else { return }
        accepting[id] = nil
        stats.accepted &+= 1
        answer(waiting.origin, .accepted(TaskAcceptance(id: id, state: record.state, copies: record.progress.copies)))
        schedule(id, peers: peers)
    }

    /// No replica stored a new task in time: it is cancelled, and the client hears why.
    mutating func acceptanceFailed(_ id: TaskID, why: String) {
        guard let waiting = accepting.removeValue(forKey: id), var record = records[id] else { return }
        _ = record.apply(.cancel(reason: "could not store a second copy: \(why)"), by: name, at: at)
        commitLocally(record)
        answer(waiting.origin, .refused(.notStored(why)))
    }
}
