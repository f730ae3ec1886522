import Glibc
import MeshCore

extension WriteAheadLog {
    /// Where a snapshot is written before it is renamed over the log.
    static func snapshotPath(_ path: String) -> String { path + ".snapshot" }

    /// Replaces the log with a snapshot (`Directive.compactLog`): `records` stand for every record
    /// appended so far, buffered ones included (those are dropped unwritten). Writes a header of
    /// base position `appendedPosition` and the records to `<path>.snapshot` (`O_EXCL |
    /// O_NOFOLLOW`), fsyncs it, renames it over the log and fsyncs the directory: a crash at any
    /// point leaves the old log or the new one, whole. Returns the base position, which is then
    /// synced. Holds both locks throughout, so no append or sync interleaves.
    @discardableResult
    public func compact(with records: [LogRecord]) throws(Failure) -> LogPosition {
        try locked(ioLock) { () throws(Failure) -> LogPosition in
            try locked(stateLock) { () throws(Failure) -> LogPosition in
                if let failed { throw failed }
                let base = appended
                var bytes = LogRecordFormat.encode(LogSnapshotHeader(basePosition: base, recordCount: UInt64(records.count)).logRecord)
                for record in records { bytes += LogRecordFormat.encode(record) }
                guard bytes.count <= Self.fileBytesMax else { throw .fileTooLarge(path: Self.snapshotPath(path), bytes: bytes.count) }
                let fresh = try writeSnapshot(bytes)
                closeDescriptor(descriptor)
                descriptor = fresh
                buffer.removeAll()
                resetPositions(to: base, fileBytes: bytes.count)
                return base
            }
        }
    }

    /// Writes `bytes` to the snapshot file, fsyncs it, renames it over the log and fsyncs the
    /// directory; returns the open snapshot (now the log). A failure leaves the old log in use
    /// and unharmed, but stops the log like any failed write (the disk is in doubt).
    private func writeSnapshot(_ bytes: Bytes) throws(Failure) -> Int32 {
        let temporary = Self.snapshotPath(path)
        unlink(temporary)
        let fresh = try Self.openFile(temporary, flags: O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC)
        do throws(Failure) {
            try files.writeAll(fresh, bytes, at: 0, path: temporary)
            _ = try logCall("fsync \(temporary)") { files.sync(fresh) }
            _ = try logCall("rename \(temporary)") { rename(temporary, path) }
            try files.syncDirectory(of: path)
            return fresh
        } catch {
            closeDescriptor(fresh)
            unlink(temporary)
            if failed == nil { failed = error }   // stateLock is held by the caller
            throw error
        }
    }
}
