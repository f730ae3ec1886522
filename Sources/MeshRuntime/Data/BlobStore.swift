import Glibc
import MeshCore

/// Content-addressed blobs of a node's data directory (issue 10 §2): `<data>/blobs/<sha256hex>`,
/// each written whole and fsynced by a `BlobWriter` before it takes its name. Attachments live
/// here from upload (or fetch) until a task's owner links them into the task's `inbox/`.
/// Stateless over the file system, so any thread may use it.
public struct BlobStore: Sendable {
    /// The directory (`<data>/blobs`).
    public let directory: String

    /// The store of the data directory at `dataPath`; creates its directories.
    public init(dataPath: String) throws(SystemError) {
        directory = dataPath + "/blobs"
        try Files.makeDirectory(directory + "/tmp")
    }

    /// Where the blob with `hash` lives (whether or not it is there).
    public func path(of hash: Bytes) -> String { directory + "/" + MeshKey.hex(hash) }

    /// True when the blob for `file` is here with the right size (its hash was checked when it
    /// was written, and only a checked blob ever takes its name).
    public func holds(_ file: TaskFile) -> Bool {
        var info = stat()
        guard stat(path(of: file.sha256), &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return false }
        return UInt64(clamping: info.st_size) == file.size
    }

    /// A writer for a new blob of at most `bytesMax` bytes.
    public func writer(bytesMax: UInt64) throws(BlobError) -> BlobWriter {
        let temporary = directory + "/tmp/" + MeshKey.hex(SecureRandom.bytes(12))
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .io("open \(temporary): \(String(cString: strerror(errno)))") }
        return BlobWriter(store: self, temporary: temporary, fd: fd, bytesMax: bytesMax)
    }

    /// Names in the store (hex hashes), for tests and the operator; temporary files excluded.
    public func listing() -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            if name != "." && name != ".." && name != "tmp" { names.append(name) }
        }
        return names.sorted()
    }

    /// Puts each file's blob at `inbox/<name>` (a hard link; a copy when linking fails), replacing
    /// what is there. Throws when a blob is missing.
    public func link(_ files: [TaskFile], into inbox: String) throws(BlobError) {
        do { try Files.makeDirectory(inbox) } catch { throw .io(error.description) }
        for file in files {
            guard TaskFile.nameError(file.name) == nil else { throw .mismatch("bad attachment name") }
            guard holds(file) else { throw .mismatch("attachment '\(file.name)' (\(file.sha256Hex)) is not held here") }
            let target = inbox + "/" + file.name
            unlink(target)
            if Glibc.link(path(of: file.sha256), target) != 0 {
                try copy(path(of: file.sha256), to: target)
            }
        }
    }

    private func copy(_ source: String, to target: String) throws(BlobError) {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw .io("open \(source)") }
        defer { closeDescriptor(input) }
        let output = open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw .io("open \(target)") }
        defer { closeDescriptor(output) }
        var buffer = Bytes(repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return }
            let written = buffer.withUnsafeBytes { Glibc.write(output, $0.baseAddress, count) }
            guard written == count else { throw .io("write \(target)") }
        }
    }
}
