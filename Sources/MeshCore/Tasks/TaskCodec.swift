/// The binary form of tasks, for the write-ahead log and the wire. Every number and length read is
/// hostile: checked against `TaskLimits` before use; a bad one throws `DecodeError`, which the caller
/// counts and drops. Field order is append-only, and each encoding starts with a version byte.
///
/// ```
/// spec:     version(1 or 2) profile(short) prompt(blob) affinity(short) tags(u8 count, short each)
///           timeout(varint ns) attemptsMax(varint) flags(u8) [key(short)]
///           [attachments(u8 count, each name(short) size(varint) sha256(32))]
///           [version 2 only: expect(u8 count, short each)]
///           (flags bit 0: a key follows; bit 1: attachments follow — a spec without them is
///           byte-for-byte what version 1 always wrote)
/// event:    state(u8; bit 0x80 set: artifacts follow) attempt(varint) node(short)
///           at(u64, two's complement) reason(short)
///           [artifacts(varint count, each: name(short) size(varint) sha256(32))]
/// progress: state(u8) attempt(varint) failures(varint) lost(varint) owner(short) epoch(varint)
///           copies(u8) staleDropped(varint)
/// record:   version(1) id(16) spec progress events(varint count, event each)
/// ```
public enum TaskCodec {
    /// The encoding version this build writes and reads.
    public static let version: UInt8 = 1
    /// The spec version that adds declared outputs; written only for a spec that has some, so
    /// every other spec keeps its version 1 bytes.
    public static let specVersionExpect: UInt8 = 2
    /// The largest encoded artifact record in an event.
    public static let artifactBytesMax = 1 + TaskLimits.fileNameBytesMax + 10 + SHA256.byteCount
    /// The largest encoded spec: it fits one log record with room for an id and a progress.
    public static let specBytesMax = TaskLimits.promptBytesMax + 3_072
    /// The largest encoded event.
    public static let eventBytesMax = 1 + 5 + 1 + 64 + 8 + 1 + TaskLimits.reasonBytesMax + 3
        + TaskLimits.artifactsRecordedMax * artifactBytesMax

    // MARK: Spec

    /// Appends `spec` (which must pass `validationError()`).
    public static func write(_ spec: TaskSpec, to w: inout ByteWriter) {
        w.u8(spec.expect.isEmpty ? version : specVersionExpect)
        w.shortString(spec.profile)
        w.blob(Array(spec.prompt.utf8))
        w.shortString(spec.affinity)
        w.u8(UInt8(spec.tags.count))
        for tag in spec.tags { w.shortString(tag) }
        w.varint(UInt64(spec.timeout))
        w.varint(UInt64(spec.attemptsMax))
        w.u8((spec.idempotencyKey == nil ? 0 : 1) | (spec.attachments.isEmpty ? 0 : 2))
        if let key = spec.idempotencyKey { w.shortString(key) }
        if !spec.attachments.isEmpty {
            w.u8(UInt8(spec.attachments.count))
            for file in spec.attachments { TaskFile.write(file, to: &w) }
        }
        guard !spec.expect.isEmpty else { return }
        w.u8(UInt8(spec.expect.count))
        for name in spec.expect { w.shortString(name) }
    }

    /// Reads a spec, refusing anything outside `TaskLimits`.
    public static func readSpec(_ r: inout ByteReader) throws(DecodeError) -> TaskSpec {
        let specVersion = try r.u8()
        guard specVersion == version || specVersion == specVersionExpect else { throw .malformed }
        let profile = try r.shortString(limit: TaskLimits.profileBytesMax)
        guard let prompt = String(validating: try r.blob(limit: TaskLimits.promptBytesMax), as: UTF8.self) else { throw .malformed }
        let affinity = try r.shortString(limit: TaskLimits.affinityBytesMax)
        let tagCount = Int(try r.u8())
        guard tagCount <= TaskLimits.tagsMax else { throw .oversized }
        var tags: [String] = []
        for _ in 0..<tagCount { tags.append(try r.shortString(limit: TaskLimits.tagBytesMax)) }
        let timeout = try r.varint()
        let attempts = try r.varint()
        guard timeout <= UInt64(TaskLimits.timeoutMax), attempts <= UInt64(TaskLimits.attemptsMax) else { throw .counterOutOfRange }
        var spec = TaskSpec(profile: profile, prompt: prompt, affinity: affinity, tags: tags,
                            timeout: Nanoseconds(timeout), attemptsMax: UInt32(attempts))
        let flags = try r.u8()
        guard flags & ~3 == 0 else { throw .malformed }
        if flags & 1 != 0 { spec.idempotencyKey = try r.shortString(limit: TaskLimits.idempotencyKeyBytesMax) }
        if flags & 2 != 0 {
            let count = Int(try r.u8())
            guard count >= 1, count <= TaskLimits.attachmentsMax else { throw .oversized }
            for _ in 0..<count { spec.attachments.append(try TaskFile.read(&r)) }
        }
        if specVersion == specVersionExpect {
            let count = Int(try r.u8())
            guard count >= 1, count <= TaskLimits.expectedOutputsMax else { throw .oversized }
            for _ in 0..<count { spec.expect.append(try r.shortString(limit: TaskLimits.fileNameBytesMax)) }
        }
        guard spec.validationError() == nil else { throw .malformed }
        return spec
    }

    // MARK: Event and progress

    /// Appends `event`.
    public static func write(_ event: TaskEvent, to w: inout ByteWriter) {
        w.u8(event.state.code | (event.artifacts.isEmpty ? 0 : artifactsFlag))
        w.varint(UInt64(event.attempt))
        w.shortString(event.node)
        w.u64(UInt64(bitPattern: event.at))
        w.shortString(event.reason)
        guard !event.artifacts.isEmpty else { return }
        w.varint(UInt64(event.artifacts.count))
        for file in event.artifacts {
            w.shortString(file.name); w.varint(file.size); w.raw(file.sha256)
        }
    }

    /// The bit of an event's state byte that says artifacts follow its reason (state codes are
    /// below 0x80, so old events never carry it).
    static let artifactsFlag: UInt8 = 0x80

    /// Reads the artifacts of an event whose state byte carried `artifactsFlag`.
    static func readArtifacts(_ r: inout ByteReader) throws(DecodeError) -> [TaskFile] {
        let count = try r.varint()
        guard count >= 1, count <= UInt64(TaskLimits.artifactsRecordedMax) else { throw .oversized }
        var files: [TaskFile] = []
        for _ in 0..<count {
            let name = try r.shortString(limit: TaskLimits.fileNameBytesMax)
            guard TaskFile.nameError(name) == nil else { throw .malformed }
            let size = try r.varint()
            files.append(TaskFile(name: name, size: size, sha256: Array(try r.raw(SHA256.byteCount))))
        }
        return files
    }

    /// Reads an event.
    public static func readEvent(_ r: inout ByteReader) throws(DecodeError) -> TaskEvent {
        let stateByte = try r.u8()
        guard let state = TaskEventState(code: stateByte & ~artifactsFlag) else { throw .malformed }
        let attempt = try readCount(&r)
        let node = try r.shortString(limit: WireLimits.nameBytesMax)
        guard MemberName.validationError(node) == nil else { throw .badName }
        let at = Int64(bitPattern: try r.u64())
        let reason = try r.shortString(limit: TaskLimits.reasonBytesMax)
        let artifacts = stateByte & artifactsFlag != 0 ? try readArtifacts(&r) : []
        return TaskEvent(state: state, attempt: attempt, node: node, at: at, reason: reason, artifacts: artifacts)
    }

    /// Appends `progress`.
    public static func write(_ progress: TaskProgress, to w: inout ByteWriter) {
        w.u8(progress.state.code)
        w.varint(UInt64(progress.attempt))
        w.varint(UInt64(progress.failures))
        w.varint(UInt64(progress.lostAttempts))
        w.shortString(progress.owner)
        w.varint(progress.ownerEpoch)
        w.u8(progress.copies)
        w.varint(UInt64(progress.staleDropped))
    }

    /// Reads a progress.
    public static func readProgress(_ r: inout ByteReader) throws(DecodeError) -> TaskProgress {
        guard let state = TaskState(code: try r.u8()) else { throw .malformed }
        let attempt = try readCount(&r)
        let failures = try readCount(&r)
        let lost = try readCount(&r)
        let owner = try r.shortString(limit: WireLimits.nameBytesMax)
        guard MemberName.validationError(owner) == nil else { throw .badName }
        let epoch = try r.varint()
        guard epoch <= TaskLimits.epochMax else { throw .counterOutOfRange }
        let copies = try r.u8()
        guard copies >= 1, copies <= TaskLimits.copiesMax else { throw .counterOutOfRange }
        var progress = TaskProgress(owner: owner, ownerEpoch: epoch, copies: copies)
        progress.state = state
        progress.attempt = attempt
        progress.failures = failures
        progress.lostAttempts = lost
        progress.staleDropped = try readCount(&r)
        return progress
    }

    /// A count bounded well above any legal attempt number, so `&+ 1` on it never wraps.
    static func readCount(_ r: inout ByteReader) throws(DecodeError) -> UInt32 {
        let value = try r.varint()
        guard value <= UInt64(UInt32.max / 2) else { throw .counterOutOfRange }
        return UInt32(value)
    }

    // MARK: Record

    /// The whole record (spec, progress and history): for state transfer, not one log record (a
    /// 1 MiB prompt and a long history together pass `LogRecordFormat.recordBytesMax`; the log
    /// uses `TaskLogEntry`).
    public static func encode(_ record: TaskRecord) -> Bytes {
        var w = ByteWriter(capacity: record.spec.prompt.utf8.count + 256)
        w.u8(version)
        w.raw(record.id.bytes)
        write(record.spec, to: &w)
        write(record.progress, to: &w)
        w.varint(UInt64(record.history.count))
        for event in record.history { write(event, to: &w) }
        return w.bytes
    }

    /// Reads a record that `encode` wrote; the whole of `bytes` must be used.
    public static func decodeRecord(_ bytes: Bytes) throws(DecodeError) -> TaskRecord {
        var r = ByteReader(bytes)
        guard try r.u8() == version else { throw .malformed }
        let id = try readID(&r)
        let spec = try readSpec(&r)
        let progress = try readProgress(&r)
        let count = try r.varint()
        guard count >= 1, count <= UInt64(TaskLimits.historyEventsMax) else { throw .oversized }
        var history: [TaskEvent] = []
        for _ in 0..<count { history.append(try readEvent(&r)) }
        guard r.isAtEnd else { throw .malformed }
        return TaskRecord(id: id, spec: spec, progress: progress, history: history)
    }

    /// Reads a 16-byte task id.
    public static func readID(_ r: inout ByteReader) throws(DecodeError) -> TaskID {
        TaskID(bytes: Array(try r.raw(TaskID.byteCount)))!
    }

    /// A writer for the body of a task log entry about `id`: the version, then the id.
    static func entryWriter(_ id: TaskID, capacity: Int) -> ByteWriter {
        var w = ByteWriter(capacity: capacity)
        w.u8(version)
        w.raw(id.bytes)
        return w
    }

    /// The task id and a reader past it for a log record of `kind` (nil: another kind); throws
    /// for another version.
    static func entryReader(_ record: LogRecord, kind: UInt8) throws(DecodeError) -> (TaskID, ByteReader)? {
        guard record.kind == kind else { return nil }
        var r = ByteReader(record.body)
        guard try r.u8() == version else { throw .malformed }
        return (try readID(&r), r)
    }
}
