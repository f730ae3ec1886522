import Glibc

/// The attempt's log: output appended up to a byte limit, the rest dropped and counted, and a
/// note at the end saying how much was dropped.
struct OutputLog {
    let fd: Int32
    var bytesLeft: Int64
    var dropped: Int64 = 0
    let bytesMax: Int64

    init(path: String, bytesMax: Int64) {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o600)
        self.bytesMax = bytesMax
        bytesLeft = max(bytesMax, 0)
    }

    mutating func append(_ buffer: [UInt8], count: Int) {
        let kept = Int(min(Int64(count), bytesLeft))
        dropped &+= Int64(count - kept)
        bytesLeft -= Int64(kept)
        guard kept > 0, fd >= 0 else { return }
        writeAll(buffer, count: kept)
    }

    /// Notes the dropped bytes (if any) and closes the file.
    mutating func finish() {
        if dropped > 0 {
            let note = Array("\n[mesh: output past the task's log limit dropped: \(dropped) bytes]\n".utf8)
            writeAll(note, count: note.count)
        }
        if fd >= 0 { close(fd) }
    }

    private func writeAll(_ bytes: [UInt8], count: Int) {
        var offset = 0
        while offset < count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}
