import Foundation
import Glibc
import MeshCore

extension WriteAheadLog {
    /// Why the log cannot be opened, written or synced. Each case is one line for the operator;
    /// the node tells its core `diskFailed` for any of them.
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// The file system has no room left (ENOSPC, or EDQUOT: the user's quota is used up).
        case diskFull(call: String)
        /// The device reported an I/O error (EIO). After a failed `fsync` the kernel may have
        /// dropped the unsynced pages, so nothing written since the last good sync is trusted.
        case ioError(call: String)
        /// The log starts with a snapshot header that is damaged or claims more records than the file
        /// holds. No writer produces one (a snapshot is renamed into place whole): the file was
        /// changed behind the node's back, and guessing could lose acknowledged work.
        case badSnapshot(path: String)
        /// The path is a symbolic link, directory, device or anything else but a regular file.
        case notARegularFile(path: String)
        /// The file (or the file after a pending append) would pass `WriteAheadLog.fileBytesMax`.
        case fileTooLarge(path: String, bytes: Int)
        /// Any other failed system call (permissions, a missing directory, …).
        case system(SystemError)

        /// The failure that `error` (a failed system call on the log) stands for.
        init(_ error: SystemError) {
            switch error.code {
            case ENOSPC, EDQUOT: self = .diskFull(call: error.call)
            case EIO: self = .ioError(call: error.call)
            default: self = .system(error)
            }
        }

        /// One line for the operator: what failed and what to do.
        public var description: String {
            switch self {
            case .diskFull(let call): return "\(call): the disk is full (free space, then restart the node)"
            case .ioError(let call): return "\(call): the disk reported an I/O error (check the device, then restart the node)"
            case .badSnapshot(let path): return "\(path) starts with a damaged snapshot header (restore the file from a copy)"
            case .notARegularFile(let path): return "\(path) is not a regular file (a link, directory or device is refused)"
            case .fileTooLarge(let path, let bytes):
                return "\(path) would hold \(bytes) bytes, past the limit of \(WriteAheadLog.fileBytesMax)"
            case .system(let error): return error.description
            }
        }
    }

    /// What `open` found in the file and did to it.
    public struct Recovery: Equatable, Sendable {
        /// Every whole record in the file, in order, without a snapshot header: the log's content,
        /// all of it synced.
        public var records: [LogRecord]
        /// The position after the last recovered record: where the next append lands (a snapshot's
        /// base position plus the records after it).
        public var position: LogPosition
        /// Why the file did not end after the last whole record; nil when it did and nothing was cut.
        public var cutTail: LogTailDamage?
        /// How many bytes after the last whole record were truncated away (0 when `cutTail` is nil).
        public var bytesCut: Int

        /// A recovery result; `WriteAheadLog.open` is the way to get one.
        public init(records: [LogRecord], position: LogPosition? = nil, cutTail: LogTailDamage?, bytesCut: Int) {
            self.records = records
            self.position = position ?? LogPosition(records.count)
            self.cutTail = cutTail
            self.bytesCut = bytesCut
        }
    }
}

/// Runs one system call on the log, retrying EINTR; a failure becomes a `WriteAheadLog.Failure`.
@inline(__always)
func logCall<Result: FixedWidthInteger>(_ call: String, _ body: () -> Result) throws(WriteAheadLog.Failure) -> Result {
    do {
        return try retryingInterrupts(call, body)
    } catch {
        throw WriteAheadLog.Failure(error)
    }
}

/// Runs `body` holding `lock`; keeps `body`'s typed error (NSLock's `withLock` would erase it).
@inline(__always)
func locked<Value, Problem: Error>(_ lock: NSLocking, _ body: () throws(Problem) -> Value) throws(Problem) -> Value {
    lock.lock()
    defer { lock.unlock() }
    return try body()
}
