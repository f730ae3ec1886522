import Glibc
import MeshCore

/// Writes one blob into a `BlobStore`: bytes go to a temporary file under `blobs/tmp/`, hashed as
/// they are written; `commit` checks size and hash, fsyncs the file, renames it to its hash and
/// fsyncs the directory, so a blob under its final name is always whole, durable and correct
/// (a partial file is never visible). `abort` (or a failed commit) removes the temporary file.
/// Not thread-safe: one writer per upload or fetch.
public final class BlobWriter {
    private let store: BlobStore
    private let temporary: String
    private var fd: Int32
    private var hasher = SHA256()
    /// Bytes written so far.
    public private(set) var size: UInt64 = 0
    /// The most bytes this writer takes; one more is refused.
    public let bytesMax: UInt64

    init(store: BlobStore, temporary: String, fd: Int32, bytesMax: UInt64) {
        self.store = store; self.temporary = temporary; self.fd = fd; self.bytesMax = bytesMax
    }

    deinit { abort() }

    /// Appends `bytes`; throws past `bytesMax` or on an I/O error (the writer is then aborted).
    public func write(_ bytes: UnsafeRawBufferPointer) throws(BlobError) {
        guard fd >= 0 else { throw .io("the blob writer is closed") }
        guard size &+ UInt64(bytes.count) <= bytesMax else {
            abort()
            throw .tooLarge(bytesMax)
        }
        hasher.update(bytes)
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                abort()
                throw .io("write: \(reason)")
            }
            offset += written
        }
        size &+= UInt64(bytes.count)
    }

    /// Appends `bytes`.
    public func write(_ bytes: Bytes) throws(BlobError) {
        var failure: BlobError?
        bytes.withUnsafeBytes { buffer in
            do throws(BlobError) { try write(buffer) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Makes the blob durable under its hash and returns its record. With `expected`, the size and
    /// hash must match it (a fetched blob), else nothing is stored.
    public func commit(name: String, expected: TaskFile? = nil) throws(BlobError) -> TaskFile {
        guard fd >= 0 else { throw .io("the blob writer is closed") }
        let hash = hasher.finalize()
        let file = TaskFile(name: name, size: size, sha256: hash)
        if let expected, expected.size != size || expected.sha256 != hash {
            abort()
            throw .mismatch("blob for '\(expected.name)' arrived with \(size) bytes and SHA-256 \(file.sha256Hex), "
                + "not \(expected.size) bytes and \(expected.sha256Hex)")
        }
        while fsync(fd) != 0 {
            guard errno == EINTR else {
                let reason = String(cString: strerror(errno))
                abort()
                throw .io("fsync: \(reason)")
            }
        }
        closeDescriptor(fd)
        fd = -1
        let final = store.path(of: hash)
        guard rename(temporary, final) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw .io("rename: \(reason)")
        }
        do { try Files.syncDirectory(of: final) } catch { throw .io(error.description) }
        return file
    }

    /// Drops what was written (idempotent).
    public func abort() {
        guard fd >= 0 else { return }
        closeDescriptor(fd)
        fd = -1
        unlink(temporary)
    }
}

/// Why a blob could not be stored or found.
public enum BlobError: Error, Equatable, Sendable, CustomStringConvertible {
    /// More bytes than the limit (the limit in bytes).
    case tooLarge(UInt64)
    /// The bytes did not match the size and hash they were sent for.
    case mismatch(String)
    /// A file system error.
    case io(String)

    public var description: String {
        switch self {
        case .tooLarge(let limit): "larger than the limit of \(limit) bytes"
        case .mismatch(let why): why
        case .io(let why): "cannot store the blob: \(why)"
        }
    }
}
