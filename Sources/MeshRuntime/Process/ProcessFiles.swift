import Glibc
import MeshCore

/// Small files for agent runs (the prompt copy, pgid files) that must survive the node process
/// dying but not the machine: after a power loss no agent runs any more and the prompt is in the
/// write-ahead log. So no fsync (each costs milliseconds on the node's path); a temporary file
/// renamed into place still makes the file appear whole or not at all.
enum ProcessFiles {
    /// Writes `content` to `path` through `<path>.tmp` (`O_EXCL | O_NOFOLLOW`) and a rename.
    static func write(_ path: String, _ content: Bytes) throws(SystemError) {
        let temporary = path + ".tmp"
        unlink(temporary)
        let fd = try retryingInterrupts("open \(temporary)") {
            open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        }
        do throws(SystemError) {
            var offset = 0
            while offset < content.count {
                let start = offset
                offset += try retryingInterrupts("write \(temporary)") {
                    content.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + start, $0.count - start) }
                }
            }
            closeDescriptor(fd)
            _ = try retryingInterrupts("rename \(temporary)") { rename(temporary, path) }
        } catch {
            closeDescriptor(fd)
            unlink(temporary)
            throw error
        }
    }
}
