import Glibc
import MeshCore

/// File operations with the durability rules of ARCHITECTURE §11: a write counts only after
/// `fsync` of the file, and a created or renamed file only after `fsync` of its directory.
public enum Files {
    /// The whole file, refused past `bytesMax` (a config or key file is small; a huge one is a mistake).
    public static func read(_ path: String, bytesMax: Int = 1 << 20) throws(SystemError) -> Bytes {
        let fd = try retryingInterrupts("open \(path)") { open(path, O_RDONLY | O_CLOEXEC) }
        defer { closeDescriptor(fd) }
        var content = Bytes()
        var chunk = Bytes(repeating: 0, count: 16 * 1024)
        while true {
            let count = try retryingInterrupts("read \(path)") {
                chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            }
            if count == 0 { return content }
            content.append(contentsOf: chunk[0..<count])
            if content.count > bytesMax { throw SystemError(call: "read \(path)", code: EFBIG) }
        }
    }

    /// The file as UTF-8 text.
    public static func readText(_ path: String, bytesMax: Int = 1 << 20) throws(SystemError) -> String {
        String(decoding: try read(path, bytesMax: bytesMax), as: UTF8.self)
    }

    /// Replaces `path` with `content` so that a crash leaves either the old or the new file, never a
    /// torn one: write a temporary file beside it, fsync it, rename it over, fsync the directory.
    /// The temporary file is created with `O_EXCL | O_NOFOLLOW`: whatever sits at its name (a stale
    /// file from a crash, or a planted symlink) is unlinked, never written through.
    public static func writeAtomically(_ path: String, _ content: Bytes, mode: mode_t = 0o600) throws(SystemError) {
        let temporary = path + ".tmp"
        try writeTemporary(temporary, content, mode: mode)
        do throws(SystemError) {
            _ = try retryingInterrupts("rename \(temporary)") { rename(temporary, path) }
        } catch {
            unlink(temporary)
            throw error
        }
        try syncDirectory(of: path)
    }

    /// Creates `path` holding `content`, refusing any existing name (a file, a directory, a dangling
    /// symlink): written to a temporary file first, then linked into place, so `path` appears whole
    /// or not at all, and a name created in the meantime is never overwritten (`EEXIST`).
    public static func writeNew(_ path: String, _ content: Bytes, mode: mode_t = 0o600) throws(SystemError) {
        let temporary = path + ".tmp"
        try writeTemporary(temporary, content, mode: mode)
        defer { unlink(temporary) }
        _ = try retryingInterrupts("link \(path)") { link(temporary, path) }
        try syncDirectory(of: path)
    }

    /// Writes and fsyncs a new file at `temporary`, made with `O_CREAT | O_EXCL | O_NOFOLLOW` and
    /// `mode`. A name already there is unlinked first (unlinking a symlink removes the link, not its
    /// target); if something takes the name again before the create, the create fails rather than follow it.
    private static func writeTemporary(_ temporary: String, _ content: Bytes, mode: mode_t) throws(SystemError) {
        if unlink(temporary) != 0 && errno != ENOENT { throw SystemError(call: "unlink \(temporary)", code: errno) }
        let fd = try retryingInterrupts("open \(temporary)") {
            open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        }
        do throws(SystemError) {
            var offset = 0
            while offset < content.count {
                let written = try retryingInterrupts("write \(temporary)") {
                    content.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
                }
                offset += written
            }
            _ = try retryingInterrupts("fsync \(temporary)") { fsync(fd) }
        } catch {
            closeDescriptor(fd)
            unlink(temporary)
            throw error
        }
        closeDescriptor(fd)
    }

    /// fsyncs the directory holding `path`, so a new or renamed entry in it survives a crash.
    public static func syncDirectory(of path: String) throws(SystemError) {
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let fd = try retryingInterrupts("open \(directory)") {
            open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        }
        defer { closeDescriptor(fd) }
        _ = try retryingInterrupts("fsync \(directory)") { fsync(fd) }
    }

    /// Creates `path` and any missing parents with `mode`; an existing directory is fine.
    public static func makeDirectory(_ path: String, mode: mode_t = 0o700) throws(SystemError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part
            if mkdir(prefix, mode) != 0 && errno != EEXIST { throw SystemError(call: "mkdir \(prefix)", code: errno) }
            prefix += "/"
        }
    }

    /// True when `path` exists.
    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// The file's permission bits, or nil when it cannot be read.
    public static func permissions(_ path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o777
    }
}
