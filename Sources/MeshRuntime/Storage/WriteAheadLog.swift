import Foundation
import Glibc
import MeshCore

/// A node's write-ahead log on disk (ARCHITECTURE §8): one file of `LogRecordFormat` records,
/// usually `<data>/log`, that the shell appends to on `append` directives, fsyncs on `sync`
/// directives (telling the core `logSynced(upTo:)`), and replaces with a snapshot on `compactLog`.
///
/// - `open` recovers: it reads the file, keeps the whole records, and truncates a torn or corrupt
///   tail (a crash in the middle of a write) with `ftruncate` + `fsync`, so the next append
///   continues right after the last good record. A leading snapshot header sets the base position.
/// - `append` only buffers (writing the buffer out once it passes `bufferBytesMax`); nothing is
///   promised until a `sync` has written every buffered record and fsynced the file.
/// - Group commit: `sync(covering:)` returns at once when an earlier fsync already covered the
///   position, and appends made while an fsync runs are all written and fsynced by the next one:
///   many appenders, one fsync per batch. Appends never wait for an fsync (only for a write that
///   a full buffer forces).
/// - After any failed write or fsync the log refuses every later call with that same failure:
///   after a failed `fsync` Linux may already have dropped the unsynced pages, so retrying could
///   report as durable what never reached the disk. Reopening recovers what did. A full disk thus
///   refuses new work and leaves every synced record intact.
///
/// Thread-safe: `ioLock` serializes file writes and fsyncs, `stateLock` guards the buffer and
/// positions (never held across an fsync); lock order is `ioLock` before `stateLock`. The file is opened with `O_NOFOLLOW`.
public final class WriteAheadLog: @unchecked Sendable {
    /// The largest log file: recovery holds the whole log in memory, and snapshots keep it far
    /// below this. An append that would pass it fails with `fileTooLarge` and writes nothing.
    public static let fileBytesMax = 1 << 30
    /// Buffered bytes past which `append` writes the buffer to the file (without fsync), so a burst
    /// of appends between two syncs holds at most this much memory.
    public static let bufferBytesMax = 4 << 20

    /// The file's path.
    public let path: String
    /// The system calls the log makes once the file is open.
    let files: LogFileLayer
    /// The open file; internal so tests can swap in a device that fails. Changed only under `ioLock`.
    var descriptor: Int32
    let ioLock = NSLock()
    /// Guards the state below; syncers wait on it for the fsync under way (group commit).
    let stateLock = NSCondition()
    /// True while one caller (the batch's leader) writes and fsyncs for everyone (`stateLock`).
    private var syncing = false
    /// Encoded records appended but not yet written to the file (`stateLock`).
    var buffer = Bytes()
    /// Bytes of the file written or claimed by the buffer (`stateLock`).
    var fileByteCount: Int
    /// Records written to the file, synced or not (`ioLock`).
    var writtenPosition: LogPosition
    /// Records appended (`stateLock`).
    var appended: LogPosition
    /// Records fsynced (`stateLock`).
    var synced: LogPosition
    /// The failure that stopped the log (`stateLock`).
    var failed: Failure?

    init(path: String, descriptor: Int32, byteCount: Int, position: LogPosition, files: LogFileLayer) {
        self.path = path
        self.descriptor = descriptor
        self.files = files
        fileByteCount = byteCount
        writtenPosition = position
        appended = position
        synced = position
    }

    deinit { closeDescriptor(descriptor) }

    /// Records appended so far, buffered or written (a snapshot's base counts its replaced records).
    public var appendedPosition: LogPosition { locked(stateLock) { appended } }
    /// Records durably on disk: positions `0..<syncedPosition` survive a crash.
    public var syncedPosition: LogPosition { locked(stateLock) { synced } }
    /// The failure that made the log unusable, if one did.
    public var failure: Failure? { locked(stateLock) { failed } }

    /// Opens (creating if needed, mode 0600) the log at `path` and recovers it: the whole records
    /// are returned, a damaged tail is truncated and the truncation fsynced, a snapshot left
    /// half-written by a crash is removed, and the directory is fsynced so a new file survives.
    public static func open(path: String, files: LogFileLayer = SystemLogFiles.shared) throws(Failure) -> (log: WriteAheadLog, recovery: Recovery) {
        unlink(snapshotPath(path))
        let descriptor = try openFile(path, flags: O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC)
        do throws(Failure) {
            let bytes = try readWhole(descriptor, path: path)
            let scan = LogRecordFormat.scan(bytes)
            guard let recovered = RecoveredLog(scanned: scan.records) else { throw .badSnapshot(path: path) }
            let cut = bytes.count - scan.validByteCount
            if cut > 0 {
                _ = try logCall("ftruncate \(path)") { ftruncate(descriptor, off_t(scan.validByteCount)) }
                _ = try logCall("fsync \(path)") { files.sync(descriptor) }
            }
            try files.syncDirectory(of: path)
            let log = WriteAheadLog(path: path, descriptor: descriptor, byteCount: scan.validByteCount,
                                    position: recovered.position, files: files)
            return (log, Recovery(records: recovered.records, position: recovered.position, cutTail: scan.tailDamage, bytesCut: cut))
        } catch {
            closeDescriptor(descriptor)
            throw error
        }
    }

    /// Adds `record` after the last appended one; returns its position (the count including it).
    /// It is durable only once a later sync returns a position at or past that. The body must fit
    /// `LogRecordFormat.recordBytesMax` and the kind must not be the snapshot header's (bugs).
    @discardableResult
    public func append(_ record: LogRecord) throws(Failure) -> LogPosition {
        precondition(record.kind != LogSnapshotHeader.kind, "kind \(record.kind) is reserved for snapshot headers")
        let encoded = LogRecordFormat.encode(record)
        let (position, mustWrite) = try locked(stateLock) { () throws(Failure) -> (LogPosition, Bool) in
            if let failed { throw failed }
            let total = fileByteCount + buffer.count + encoded.count
            guard total <= Self.fileBytesMax else { throw .fileTooLarge(path: path, bytes: total) }
            buffer += encoded
            appended += 1
            return (appended, buffer.count >= Self.bufferBytesMax)
        }
        if mustWrite { try locked(ioLock) { () throws(Failure) in try writeBuffered() } }
        return position
    }

    /// Writes every buffered record and fsyncs the file; returns the synced position, which then
    /// covers every record appended before the call. Does no I/O when nothing is unsynced.
    @discardableResult
    public func sync() throws(Failure) -> LogPosition {
        try sync(covering: appendedPosition)
    }

    /// Makes positions `0..<position` durable: returns at once when an fsync already covered them;
    /// waits while another caller's fsync runs (it may cover them); else leads the next batch:
    /// writes everything buffered (records of other appenders too) and fsyncs once for all.
    @discardableResult
    public func sync(covering position: LogPosition) throws(Failure) -> LogPosition {
        stateLock.lock()
        while true {
            if let failed { stateLock.unlock(); throw failed }
            if synced >= position { defer { stateLock.unlock() }; return synced }
            if !syncing { break }
            stateLock.wait()
        }
        syncing = true
        stateLock.unlock()
        defer { locked(stateLock) { syncing = false; stateLock.broadcast() } }
        return try locked(ioLock) { () throws(Failure) -> LogPosition in
            try writeBuffered()
            let done = syncedPosition
            guard writtenPosition > done else { return done }
            try failing { () throws(Failure) in _ = try logCall("fsync \(path)") { files.sync(descriptor) } }
            let covered = writtenPosition
            locked(stateLock) { synced = max(synced, covered) }
            return covered
        }
    }

    /// Takes the buffer and writes it at the end of the file's records. Call with `ioLock` held.
    func writeBuffered() throws(Failure) {
        let (bytes, offset, upTo) = locked(stateLock) {
            defer { buffer.removeAll(keepingCapacity: buffer.count <= Self.bufferBytesMax) }
            return (buffer, fileByteCount, appended)
        }
        guard !bytes.isEmpty else { return }
        try failing { () throws(Failure) in try files.writeAll(descriptor, bytes, at: offset, path: path) }
        locked(stateLock) { fileByteCount += bytes.count }
        writtenPosition = upTo
    }

    /// Runs `body`; a failure it throws makes the log unusable from then on.
    func failing(_ body: () throws(Failure) -> Void) throws(Failure) {
        do { try body() } catch {
            locked(stateLock) { if failed == nil { failed = error } }
            throw error
        }
    }

    /// Sets the positions after a snapshot replaced the file. Call with both locks held.
    func resetPositions(to position: LogPosition, fileBytes: Int) {
        fileByteCount = fileBytes
        writtenPosition = position
        appended = position
        synced = position
    }

    static func openFile(_ path: String, flags: Int32) throws(Failure) -> Int32 {
        do {
            return try retryingInterrupts("open \(path)") { Glibc.open(path, flags, 0o600) }
        } catch {
            throw error.code == ELOOP || error.code == EISDIR ? .notARegularFile(path: path) : Failure(error)
        }
    }

    /// The file's bytes, after checking that it is a regular file within `fileBytesMax`.
    private static func readWhole(_ descriptor: Int32, path: String) throws(Failure) -> Bytes {
        var info = stat()
        _ = try logCall("fstat \(path)") { fstat(descriptor, &info) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .notARegularFile(path: path) }
        guard info.st_size <= off_t(fileBytesMax) else { throw .fileTooLarge(path: path, bytes: Int(info.st_size)) }
        var bytes = Bytes(repeating: 0, count: Int(info.st_size))
        var done = 0
        while done < bytes.count {
            let start = done
            let count = try logCall("read \(path)") {
                bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + start, $0.count - start, off_t(start)) }
            }
            guard count > 0 else { break }  // the file shrank since fstat: scan what is there
            done += count
        }
        return Array(bytes[..<done])
    }
}
