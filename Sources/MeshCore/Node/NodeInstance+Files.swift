/// Attachment blobs before storing a task (issue 10 §2): a node stores a task that carries
/// attachments, as owner or as replica, only once its shell holds every blob (fsynced, hash
/// checked). The bytes never pass through the core: a task request that needs blobs waits here
/// while the shell fetches them (`Directive.fetchFiles`) over streams of its own, and goes on to
/// the task machine when it reports `filesFetched`, or is refused with the shell's reason.
public struct FileFetch: Sendable, Equatable {
    /// The fetch's number (what `filesFetched` names).
    public var id: UInt64
    /// The task the files belong to.
    public var task: TaskID
    /// The files to hold: the shell checks each blob's size and SHA-256.
    public var files: [TaskFile]
    /// Members to fetch from, most likely first (the one that sent the task, then the others
    /// up), at most `FileFetchLimits.sourcesMax`.
    public var sources: [Address]

    /// A fetch.
    public init(id: UInt64, task: TaskID, files: [TaskFile], sources: [Address]) {
        self.id = id; self.task = task; self.files = files; self.sources = sources
    }
}

/// Bounds on fetches.
public enum FileFetchLimits {
    /// Task requests waiting for their blobs at once; past it a request is refused (busy).
    public static let waitingMax = 32
    /// Members one fetch names as sources.
    public static let sourcesMax = 8
    /// How long a task request that carries attachments may take, its receiver's fetch included
    /// (the stream's usual deadline, 1 to 10 s by preset, is too short for megabytes).
    public static let exchangeTimeout: Nanoseconds = .seconds(30)
}

/// Task requests waiting for the shell to hold their blobs.
struct PendingFetches: Sendable {
    enum Parked: Sendable {
        case submit(TaskID, TaskSpec, hops: UInt8, stream: StreamID)
        case store(TaskRecord, handover: Bool, from: String, stream: StreamID)
    }
    var waiting: [UInt64: Parked] = [:]
    var nextID: UInt64 = 0
}

extension NodeInstance {
    /// The label hash streams carry (the shell's data streams use it too).
    public var streamLabelHash: UInt32 { labelHash }

    /// Parks a task request whose attachments this node does not hold yet and asks the shell to
    /// fetch them; true when parked (or refused), false when it can go on at once.
    mutating func parkForFiles(_ parked: PendingFetches.Parked, sender: String) -> Bool {
        let (id, files, stream): (TaskID, [TaskFile], StreamID)
        switch parked {
        case .submit(let task, let spec, _, let s): (id, files, stream) = (task, spec.attachments, s)
        case .store(let record, _, _, let s): (id, files, stream) = (record.id, record.spec.attachments, s)
        }
        guard !files.isEmpty, tasks.records[id] == nil else { return false }
        guard fetches.waiting.count < FileFetchLimits.waitingMax else {
            refuseParked(parked, why: "\(membership.name) is fetching the attachments of \(FileFetchLimits.waitingMax) tasks")
            return true
        }
        fetches.nextID &+= 1
        fetches.waiting[fetches.nextID] = parked
        if streams[stream] != nil { setTimer(.streamDeadline(stream), at: now + FileFetchLimits.exchangeTimeout) }
        emit(.fetchFiles(FileFetch(id: fetches.nextID, task: id, files: files, sources: fetchSources(first: sender))))
        return true
    }

    /// The deadline of an outbound exchange: longer for a task request whose receiver may first
    /// fetch attachment blobs (a forwarded submission, a store), the stream timeout otherwise.
    func exchangeTimeout(_ request: Bytes) -> Nanoseconds {
        guard let kind = request.first, kind == TaskMessage.Kind.submit.rawValue || kind == TaskMessage.Kind.store.rawValue else { return membership.settings.streamTimeout }
        switch try? TaskMessage.decode(request) {
        case .submit(_, let spec, _)? where !spec.attachments.isEmpty: return FileFetchLimits.exchangeTimeout
        case .store(let record, _)? where !record.spec.attachments.isEmpty: return FileFetchLimits.exchangeTimeout
        default: return membership.settings.streamTimeout
        }
    }

    /// The shell holds the blobs (`failure == nil`) or could not get them.
    mutating func filesFetched(_ fetch: UInt64, failure: String?) {
        guard let parked = fetches.waiting.removeValue(forKey: fetch) else { return }
        tasks.now = now
        tasks.wallMilliseconds = wallMilliseconds
        if let failure { return refuseParked(parked, why: failure) }
        let peers = taskPeers()
        switch parked {
        case .submit(let id, let spec, let hops, let stream): tasks.submitArrived(id, spec, hops: hops, stream: stream, peers: peers)
        case .store(let record, let handover, let owner, let stream):
            tasks.storeArrived(record, handover: handover, from: owner, stream: stream, peers: peers)
        }
    }

    private mutating func refuseParked(_ parked: PendingFetches.Parked, why: String) {
        switch parked {
        case .submit(let id, _, _, let stream):
            let refusal = TaskRefusal.unavailable("\(membership.name) could not get the attachments of task \(id): \(why)")
            answerTaskRequest(stream, TaskMessage.submitted(.refused(refusal)).encoded())
        case .store(_, _, _, let stream):
            answerTaskRequest(stream, TaskMessage.storeAnswer(.declined).encoded())
        }
    }

    /// `first`'s address, then the other members up, in name order, at most `sourcesMax`.
    private func fetchSources(first: String) -> [Address] {
        var sources: [Address] = []
        let members = membership.members.members
        if let sender = members.first(where: { $0.name == first }) { sources.append(sender.address) }
        for member in members.sorted(by: { $0.name < $1.name }) where !member.status.isDown && member.name != first {
            guard sources.count < FileFetchLimits.sourcesMax else { break }
            sources.append(member.address)
        }
        return sources
    }
}

extension NodeInstance {
    /// The attachments of a task this node holds (none for a task it does not).
    public func attachments(of task: TaskID) -> [TaskFile] { tasks.records[task]?.spec.attachments ?? [] }
}
