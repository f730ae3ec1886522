import Glibc
import MeshCore

/// What an ended attempt left in `artifacts/` (issue 10 §3): every regular file there (top level;
/// names that pass `TaskFile.nameError`), hashed with SHA-256 as a stream. Symbolic links are
/// never followed (`O_NOFOLLOW`), so nothing outside the workspace is read; declared outputs come
/// first, then the rest by name, at most `TaskLimits.artifactsRecordedMax`.
enum AgentArtifacts {
    /// Directory entries looked at, at most (more are counted as not recorded).
    static let entriesScannedMax = 100_000
    /// Bytes read per call while hashing.
    static let chunkBytes = 256 * 1024

    /// The artifacts of `directory`, with the `declared` names that are missing.
    static func collect(_ directory: String, declared: [String]) -> AgentOutputs {
        let names = entries(directory)
        var order = declared.filter { names.contains($0) }
        var seen = Set(order)
        for name in names.sorted() where !seen.contains(name) { order.append(name); seen.insert(name) }
        var outputs = AgentOutputs()
        var buffer = [UInt8](repeating: 0, count: chunkBytes)
        for name in order {
            guard outputs.artifacts.count < TaskLimits.artifactsRecordedMax else {
                if isRegularFile(directory + "/" + name) { outputs.unrecorded += 1 }
                continue
            }
            if let file = hash(directory + "/" + name, name: name, buffer: &buffer) { outputs.artifacts.append(file) }
        }
        outputs.missing = declared.filter { name in !outputs.artifacts.contains { $0.name == name } }
        return outputs
    }

    /// The names in `directory` that may name a task file.
    static func entries(_ directory: String) -> [String] {
        guard let stream = opendir(directory) else { return [] }
        defer { closedir(stream) }
        var names: [String] = []
        var scanned = 0
        while scanned < entriesScannedMax, let entry = readdir(stream) {
            scanned += 1
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if TaskFile.nameError(name) == nil { names.append(name) }
        }
        return names
    }

    /// True when `path` is a regular file itself (not through a link).
    static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// The record of the regular file at `path` (not a link, a directory or a device), or nil.
    static func hash(_ path: String, name: String, buffer: inout [UInt8]) -> TaskFile? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        var hasher = SHA256()
        var size: UInt64 = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                if count < 0 { return nil }
                break
            }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            size &+= UInt64(count)
        }
        return TaskFile(name: name, size: size, sha256: hasher.finalize())
    }
}
