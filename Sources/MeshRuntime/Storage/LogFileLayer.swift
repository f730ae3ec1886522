import Glibc
import MeshCore

/// The system calls through which the write-ahead log reaches its file once it is open: writes,
/// fsyncs and directory fsyncs. The real layer calls the kernel; a test layer records the order of
/// the calls (with real files underneath) to prove that nothing is reported synced before the
/// fsync that covers it, or fails them on purpose.
///
/// Each method returns what the system call returns (`-1` with `errno` set on failure).
public protocol LogFileLayer: AnyObject, Sendable {
    /// `pwrite(descriptor, buffer, offset)`.
    func write(_ descriptor: Int32, _ buffer: UnsafeRawBufferPointer, at offset: Int) -> Int
    /// `fsync(descriptor)`.
    func sync(_ descriptor: Int32) -> Int32
    /// Opens the directory `path` and fsyncs it; 0, or -1 with `errno` set.
    func syncDirectory(_ path: String) -> Int32
}

/// The real file layer: the kernel's calls, unchanged.
public final class SystemLogFiles: LogFileLayer {
    /// The one real layer.
    public static let shared = SystemLogFiles()

    public func write(_ descriptor: Int32, _ buffer: UnsafeRawBufferPointer, at offset: Int) -> Int {
        pwrite(descriptor, buffer.baseAddress, buffer.count, off_t(offset))
    }

    public func sync(_ descriptor: Int32) -> Int32 { fsync(descriptor) }

    public func syncDirectory(_ path: String) -> Int32 {
        let descriptor = open(path.isEmpty ? "/" : path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return -1 }
        defer { close(descriptor) }
        return fsync(descriptor)
    }
}

extension LogFileLayer {
    /// fsyncs the directory that holds `path`, retrying EINTR.
    func syncDirectory(of path: String) throws(WriteAheadLog.Failure) {
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        _ = try logCall("fsync \(directory.isEmpty ? "/" : directory)") { syncDirectory(directory) }
    }

    /// Writes all of `bytes` at `offset`, however many calls that takes.
    func writeAll(_ descriptor: Int32, _ bytes: Bytes, at offset: Int, path: String) throws(WriteAheadLog.Failure) {
        var done = 0
        while done < bytes.count {
            let start = done
            let written = try logCall("write \(path)") {
                bytes.withUnsafeBytes { write(descriptor, UnsafeRawBufferPointer(rebasing: $0[start...]), at: offset + start) }
            }
            done += written
        }
    }
}
