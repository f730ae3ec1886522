import Glibc
import MeshCore

/// A node's write-ahead log on disk (ARCHITECTURE §8): one file of `LogRecordFormat` records,
/// usually `<data>/log`, that the shell appends to on `append` directives and fsyncs on `sync`
/// directives, telling the core `logSynced(upTo:)` with the position `sync` returns.
///
/// - `open` recovers: it reads the file, keeps the whole records, and truncates a torn or corrupt
///   tail (a crash in the middle of a write) with `ftruncate` + `fsync`, so the next append
///   continues right after the last good record.
/// - `append` only buffers (writing the buffer out once it passes `bufferBytesMax`); nothing is
///   promised until `sync` has written every buffered record and fsynced the file.
/// - After any failed write or fsync the log refuses every later call with that same failure:
///   after a failed `fsync` Linux may already have dropped the unsynced pages, so retrying could
///   report as durable what never reached the disk. Reopening recovers what did.
///
/// Not thread-safe: one owner (the node's queue) calls it. The file is opened with `O_NOFOLLOW`,
/// so a symbolic link planted at the path is refused instead of followed.
public final class WriteAheadLog {
    /// The largest log file: recovery holds the whole log in memory, and snapshots (later) keep it
    /// far below this. An append that would pass it fails with `fileTooLarge` and writes nothing.
    public static let fileBytesMax = 1 << 30
    /// Buffered bytes past which `append` writes the buffer to the file (without fsync), so a burst
    /// of appends between two syncs holds at most this much memory.
    public static let bufferBytesMax = 4 << 20

    /// The file's path.
    public let path: String
    /// The open file; internal so tests can swap in a device that fails.
    var descriptor: Int32
    /// Encoded records appended but not yet written to the file.
    private var buffer = Bytes()
    /// Bytes of the file written so far (whole records; every byte past the recovered prefix).
    private var fileByteCount: Int
    /// Records written to the file, synced or not.
    private var writtenPosition: LogPosition
    /// Records appended so far, buffered or written.
    public private(set) var appendedPosition: LogPosition
    /// Records durably on disk: `0..<syncedPosition` survive a crash.
    public private(set) var syncedPosition: LogPosition
    /// The failure that made the log unusable, if one did.
    public private(set) var failure: Failure?

    private init(path: String, descriptor: Int32, byteCount: Int, position: LogPosition) {
        self.path = path
        self.descriptor = descriptor
        fileByteCount = byteCount
        writtenPosition = position
        appendedPosition = position
        syncedPosition = position
    }

    deinit { closeDescriptor(descriptor) }

    /// Opens (creating if needed, mode 0600) the log at `path` and recovers it: the whole records
    /// are returned, a damaged tail is truncated and the truncation fsynced, and the directory is
    /// fsynced so a newly created file survives a crash.
    public static func open(path: String) throws(Failure) -> (log: WriteAheadLog, recovery: Recovery) {
        let descriptor: Int32
        do {
            descriptor = try retryingInterrupts("open \(path)") {
                Glibc.open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
            }
        } catch {
            throw error.code == ELOOP || error.code == EISDIR ? .notARegularFile(path: path) : Failure(error)
        }
        do throws(Failure) {
            let bytes = try readWhole(descriptor, path: path)
            let scan = LogRecordFormat.scan(bytes)
            let cut = bytes.count - scan.validByteCount
            if cut > 0 {
                _ = try logCall("ftruncate \(path)") { ftruncate(descriptor, off_t(scan.validByteCount)) }
                _ = try logCall("fsync \(path)") { fsync(descriptor) }
            }
            do { try Files.syncDirectory(of: path) } catch { throw Failure(error) }
            let log = WriteAheadLog(path: path, descriptor: descriptor, byteCount: scan.validByteCount, position: scan.position)
            return (log, Recovery(records: scan.records, cutTail: scan.tailDamage, bytesCut: cut))
        } catch {
            closeDescriptor(descriptor)
            throw error
        }
    }

    /// Adds `record` after the last appended one. It is durable only once a later `sync` returns a
    /// position past it. The body must fit `LogRecordFormat.recordBytesMax` (a larger one is a bug).
    public func append(_ record: LogRecord) throws(Failure) {
        if let failure { throw failure }
        let encoded = LogRecordFormat.encode(record)
        let total = fileByteCount + buffer.count + encoded.count
        guard total <= Self.fileBytesMax else { throw .fileTooLarge(path: path, bytes: total) }
        buffer += encoded
        appendedPosition += 1
        if buffer.count >= Self.bufferBytesMax { try failing { () throws(Failure) in try writeBuffer() } }
    }

    /// Writes every buffered record and fsyncs the file; returns the synced position, which then
    /// covers every record appended so far. Does no I/O when nothing is unsynced.
    @discardableResult
    public func sync() throws(Failure) -> LogPosition {
        if let failure { throw failure }
        try failing { () throws(Failure) in
            try writeBuffer()
            guard writtenPosition > syncedPosition else { return }
            _ = try logCall("fsync \(path)") { fsync(descriptor) }
            syncedPosition = writtenPosition
        }
        return syncedPosition
    }

    /// Runs `body`; a failure it throws makes the log unusable from then on.
    private func failing(_ body: () throws(Failure) -> Void) throws(Failure) {
        do { try body() } catch {
            failure = error
            throw error
        }
    }

    /// Writes the whole buffer at the end of the file's records, however many calls that takes.
    private func writeBuffer() throws(Failure) {
        var done = 0
        while done < buffer.count {
            let offset = off_t(fileByteCount + done)
            let start = done
            let written = try logCall("write \(path)") {
                buffer.withUnsafeBytes { pwrite(descriptor, $0.baseAddress! + start, $0.count - start, offset) }
            }
            done += written
        }
        fileByteCount += buffer.count
        buffer.removeAll(keepingCapacity: buffer.count <= Self.bufferBytesMax)
        writtenPosition = appendedPosition
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
