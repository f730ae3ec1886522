/// The task protocol's stream messages (issue 9): one request and one reply per stream, like
/// push-pull. Kinds are 0x40…0x4F, a range membership never uses, so `NodeInstance` routes an
/// inbound request by its first byte. Append-only; every number read is checked against a limit.
public enum TaskMessage: Equatable, Sendable {
    /// Entry → owner: place and accept this task (`hops` forwards so far).
    case submit(id: TaskID, spec: TaskSpec, hops: UInt8)
    /// The answer to `submit`.
    case submitted(TaskSubmitAnswer)
    /// Owner → replica: keep this copy (append + sync it before answering). `handover` asks the
    /// replica to take the task over at once (the owner is leaving).
    case store(TaskRecord, handover: Bool)
    /// The answer to `store`.
    case storeAnswer(TaskStoreAnswer)
    /// Owner → replica: renew the owner's lease.
    case renew
    /// The answer to `renew`: granted for this long (0: refused, e.g. the replica restarted recently).
    case granted(Nanoseconds)
    /// Entry → any member: the records it holds for `id`, or summaries matching a filter.
    case query(TaskQueryTarget)
    /// The answer to `query`: full records (one id) or summaries (a listing). `isPassive`: the
    /// member keeps its copy only to fence a stale owner off and will never take the task over
    /// (an appended field: absent means false).
    case records([TaskRecord], isPassive: Bool = false)
    case summaries([TaskSummary], isTruncated: Bool)
    /// Owner → a former replica: drop your copy of `id` (the owner keeps it with another replica),
    /// unless your copy has a higher epoch than `epoch`. Answered with `storeAnswer`.
    case release(TaskID, epoch: UInt64)
    /// Entry → any member: cancel `id` if you own it (issue 10 §5).
    case cancel(TaskID)
    /// The answer to `cancel`: from the owner once `cancelled` counts, from anyone else at once.
    case cancelAnswer(TaskCancelAnswer)

    /// Kind bytes (append-only). Cancel takes the top of the range, leaving the middle to others.
    enum Kind: UInt8 {
        case submit = 0x40, submitted = 0x41, store = 0x42, storeAnswer = 0x43, renew = 0x44, granted = 0x45
        case query = 0x46, records = 0x47, summaries = 0x48, release = 0x49
        case cancel = 0x4E, cancelAnswer = 0x4F
    }

    /// The range of kinds the task layer owns: an inbound stream request starting with one of
    /// these goes to the task machine.
    public static let kindRange: ClosedRange<UInt8> = 0x40...0x4F
    /// Records in one `records` answer (one id: the copies a member holds).
    static let recordsMax = 4
}

/// What the owner answered a submission.
public enum TaskSubmitAnswer: Equatable, Sendable {
    case accepted(TaskAcceptance)
    case refused(TaskRefusal)
}

/// What a replica answered a `store`.
public enum TaskStoreAnswer: Equatable, Sendable {
    /// Appended and synced; the replica's copy now holds this many events.
    case stored(eventCount: UInt32)
    /// The replica's copy is newer (a higher epoch: it took over; or terminal): here it is.
    case fenced(TaskRecord)
    /// The replica will not keep it (leaving, disk full, recently restarted).
    case declined
}

/// What a query asks for.
public enum TaskQueryTarget: Equatable, Sendable {
    case task(TaskID)
    case list(TaskFilter)
}

extension TaskMessage {
    /// The bytes of this message.
    public func encoded() -> Bytes {
        var w = ByteWriter(capacity: 128)
        switch self {
        case .submit(let id, let spec, let hops):
            w.u8(Kind.submit.rawValue); w.raw(id.bytes); TaskCodec.write(spec, to: &w); w.u8(hops)
        case .submitted(.accepted(let a)):
            w.u8(Kind.submitted.rawValue); w.u8(0); w.raw(a.id.bytes); w.u8(a.state.code); w.u8(a.copies)
            w.u8(a.isDuplicate ? 1 : 0)
        case .submitted(.refused(let refusal)):
            w.u8(Kind.submitted.rawValue); w.u8(1); TaskWire.write(refusal, to: &w)
        case .store(let record, let handover):
            w.u8(Kind.store.rawValue); w.u8(handover ? 1 : 0); w.blob(TaskCodec.encode(record))
        case .storeAnswer(.stored(let count)):
            w.u8(Kind.storeAnswer.rawValue); w.u8(0); w.varint(UInt64(count))
        case .storeAnswer(.fenced(let record)):
            w.u8(Kind.storeAnswer.rawValue); w.u8(1); w.blob(TaskCodec.encode(record))
        case .storeAnswer(.declined):
            w.u8(Kind.storeAnswer.rawValue); w.u8(2)
        case .renew:
            w.u8(Kind.renew.rawValue)
        case .granted(let duration):
            w.u8(Kind.granted.rawValue); w.varint(UInt64(max(duration, 0)))
        case .query(.task(let id)):
            w.u8(Kind.query.rawValue); w.u8(0); w.raw(id.bytes)
        case .query(.list(let filter)):
            w.u8(Kind.query.rawValue); w.u8(1); w.u8(filter.state?.code ?? 0); w.varint(UInt64(filter.limit))
            if let cursor = filter.after {   // appended field: absent means "from the start"
                w.varint(UInt64(clamping: max(0, cursor.createdAt))); w.raw(cursor.id.bytes)
            }
        case .release(let id, let epoch):
            w.u8(Kind.release.rawValue); w.raw(id.bytes); w.varint(epoch)
        case .records(let records, let isPassive):
            w.u8(Kind.records.rawValue); w.varint(UInt64(records.count))
            for record in records { w.blob(TaskCodec.encode(record)) }
            if isPassive { w.u8(1) }
        case .summaries(let summaries, let truncated):
            w.u8(Kind.summaries.rawValue); w.u8(truncated ? 1 : 0); w.varint(UInt64(summaries.count))
            for summary in summaries { TaskWire.write(summary, to: &w) }
        case .cancel(let id):
            w.u8(Kind.cancel.rawValue); w.raw(id.bytes)
        case .cancelAnswer(let answer):
            w.u8(Kind.cancelAnswer.rawValue); TaskWire.write(answer, to: &w)
        }
        return w.bytes
    }

    /// Reads a message; throws for anything malformed or out of range (the caller counts and drops).
    public static func decode(_ bytes: Bytes) throws(DecodeError) -> TaskMessage {
        var r = ByteReader(bytes)
        guard let kind = Kind(rawValue: try r.u8()) else { throw .malformed }
        let message: TaskMessage
        switch kind {
        case .submit:
            let id = try TaskCodec.readID(&r)
            let spec = try TaskCodec.readSpec(&r)
            message = .submit(id: id, spec: spec, hops: try r.u8())
        case .submitted:
            message = .submitted(try TaskWire.readSubmitAnswer(&r))
        case .store:
            let handover = try r.u8()
            guard handover <= 1 else { throw .malformed }
            message = .store(try TaskWire.readRecord(&r), handover: handover == 1)
        case .storeAnswer:
            switch try r.u8() {
            case 0: message = .storeAnswer(.stored(eventCount: try TaskCodec.readCount(&r)))
            case 1: message = .storeAnswer(.fenced(try TaskWire.readRecord(&r)))
            case 2: message = .storeAnswer(.declined)
            default: throw .malformed
            }
        case .renew:
            message = .renew
        case .granted:
            let duration = try r.varint()
            guard duration <= UInt64(TaskSettings.leaseDurationMax) else { throw .counterOutOfRange }
            message = .granted(Nanoseconds(duration))
        case .query:
            message = .query(try TaskWire.readQuery(&r))
        case .release:
            let id = try TaskCodec.readID(&r)
            let epoch = try r.varint()
            guard epoch <= TaskLimits.epochMax else { throw .counterOutOfRange }
            message = .release(id, epoch: epoch)
        case .records:
            let count = try r.varint()
            guard count <= UInt64(TaskMessage.recordsMax) else { throw .oversized }
            var records: [TaskRecord] = []
            for _ in 0..<count { records.append(try TaskWire.readRecord(&r)) }
            let passive = r.isAtEnd ? 0 : try r.u8()
            guard passive <= 1 else { throw .malformed }
            message = .records(records, isPassive: passive == 1)
        case .summaries:
            let truncated = try r.u8() == 1
            let count = try r.varint()
            guard count <= UInt64(TaskFilter.listedTasksMax) else { throw .oversized }
            var summaries: [TaskSummary] = []
            for _ in 0..<count { summaries.append(try TaskWire.readSummary(&r)) }
            message = .summaries(summaries, isTruncated: truncated)
        case .cancel:
            message = .cancel(try TaskCodec.readID(&r))
        case .cancelAnswer:
            message = .cancelAnswer(try TaskWire.readCancelAnswer(&r))
        }
        guard r.isAtEnd else { throw .malformed }
        return message
    }
}

/// Field codecs of task messages.
enum TaskWire {
    static func readRecord(_ r: inout ByteReader) throws(DecodeError) -> TaskRecord {
        try TaskCodec.decodeRecord(try r.blob(limit: TaskCodec.specBytesMax + TaskLimits.historyEventsMax * TaskCodec.eventBytesMax + 256))
    }

    static func readState(_ r: inout ByteReader) throws(DecodeError) -> TaskState {
        guard let state = TaskState(code: try r.u8()) else { throw .malformed }
        return state
    }

    static func readQuery(_ r: inout ByteReader) throws(DecodeError) -> TaskQueryTarget {
        switch try r.u8() {
        case 0: return .task(try TaskCodec.readID(&r))
        case 1:
            let code = try r.u8()
            let state: TaskState? = code == 0 ? nil : try readState(code)
            let limit = try r.varint()
            var after: TaskCursor?
            if !r.isAtEnd {
                let created = try r.varint()
                guard created <= UInt64(Int64.max) else { throw .counterOutOfRange }
                after = TaskCursor(createdAt: Int64(created), id: try TaskCodec.readID(&r))
            }
            return .list(TaskFilter(state: state, limit: Int(min(limit, UInt64(TaskFilter.listedTasksMax))), after: after))
        default: throw .malformed
        }
    }

    static func readState(_ code: UInt8) throws(DecodeError) -> TaskState {
        guard let state = TaskState(code: code) else { throw .malformed }
        return state
    }

    static func write(_ refusal: TaskRefusal, to w: inout ByteWriter) {
        let code: UInt8
        var first = "", second = ""
        switch refusal {
        case .badField(let error): code = 0; first = error.field; second = error.message
        case .unknownProfile(let profile): code = 1; first = profile
        case .noEligibleNode(let why): code = 2; first = why
        case .busy(let why): code = 3; first = why
        case .diskFull: code = 4
        case .leaving: code = 5
        case .notStored(let why): code = 6; first = why
        case .unavailable(let why): code = 7; first = why
        }
        w.u8(code)
        w.shortString(TaskEvent.cut(first, to: TaskLimits.reasonBytesMax))
        w.shortString(TaskEvent.cut(second, to: TaskLimits.reasonBytesMax))
    }

    static func readSubmitAnswer(_ r: inout ByteReader) throws(DecodeError) -> TaskSubmitAnswer {
        switch try r.u8() {
        case 0:
            let id = try TaskCodec.readID(&r)
            let state = try readState(&r)
            let copies = try r.u8()
            guard copies >= 1, copies <= TaskLimits.copiesMax else { throw .counterOutOfRange }
            let duplicate = try r.u8()
            guard duplicate <= 1 else { throw .malformed }
            return .accepted(TaskAcceptance(id: id, state: state, copies: copies, isDuplicate: duplicate == 1))
        case 1:
            let code = try r.u8()
            let first = try r.shortString(limit: TaskLimits.reasonBytesMax)
            let second = try r.shortString(limit: TaskLimits.reasonBytesMax)
            let refusal: TaskRefusal
            switch code {
            case 0: refusal = .badField(TaskFieldError(first, second))
            case 1: refusal = .unknownProfile(first)
            case 2: refusal = .noEligibleNode(first)
            case 3: refusal = .busy(first)
            case 4: refusal = .diskFull
            case 5: refusal = .leaving
            case 6: refusal = .notStored(first)
            case 7: refusal = .unavailable(first)
            default: throw .malformed
            }
            return .refused(refusal)
        default: throw .malformed
        }
    }

    static func write(_ s: TaskSummary, to w: inout ByteWriter) {
        w.raw(s.id.bytes); w.shortString(s.profile); w.u8(s.state.code); w.varint(UInt64(s.attempt))
        w.shortString(s.owner); w.varint(s.epoch); w.u8(s.copies); w.varint(UInt64(s.eventCount))
        w.u64(UInt64(bitPattern: s.createdAt)); w.u64(UInt64(bitPattern: s.updatedAt))
    }

    static func readSummary(_ r: inout ByteReader) throws(DecodeError) -> TaskSummary {
        let id = try TaskCodec.readID(&r)
        let profile = try r.shortString(limit: TaskLimits.profileBytesMax)
        let state = try readState(&r)
        let attempt = try TaskCodec.readCount(&r)
        let owner = try r.shortString(limit: WireLimits.nameBytesMax)
        let epoch = try r.varint()
        guard epoch <= TaskLimits.epochMax else { throw .counterOutOfRange }
        let copies = try r.u8()
        let events = try TaskCodec.readCount(&r)
        let created = Int64(bitPattern: try r.u64())
        let updated = Int64(bitPattern: try r.u64())
        return TaskSummary(id: id, profile: profile, state: state, attempt: attempt, owner: owner, epoch: epoch,
                           copies: copies, eventCount: events, createdAt: created, updatedAt: updated)
    }
}
