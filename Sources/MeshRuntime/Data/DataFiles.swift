import Glibc
import MeshCore

/// Answers one data request from this node's files (blobs, an attempt's output log, artifacts),
/// handing each reply to `reply` (which sends it on a data stream, or straight into an HTTP
/// response when this node is the one asked). Runs on a data thread; reads with `pread`, never
/// follows a symbolic link out of a workspace, and sends at most `chunkBytes` per chunk.
struct DataFiles {
    /// Bytes per chunk (one frame of a data stream).
    static let chunkBytes = 512 * 1024
    /// How often a followed log is checked for new bytes once it has been quiet a while; right
    /// after bytes came it is checked again after `followPollMinMicroseconds`, the wait doubling
    /// up to this while nothing comes (a fast writer is followed closely, a quiet one cheaply).
    static let followPollMicroseconds: UInt32 = 25_000
    /// The first wait of a followed log that has just caught up with its writer.
    static let followPollMinMicroseconds: UInt32 = 1_000
    /// A followed log that stays quiet this long gets an empty chunk (so no reader times out).
    static let heartbeatInterval: Nanoseconds = .seconds(5)
    /// Artifacts one listing hashes at most.
    static let listedArtifactsMax = TaskLimits.artifactsRecordedMax

    let dataPath: String
    let blobs: BlobStore
    /// True while the attempt runs on this node (a followed log is tailed until it is false).
    let isRunning: @Sendable (TaskID, UInt32) -> Bool
    /// Hashes of workspace files already read.
    let hashes = HashCache()

    typealias Reply = (DataReply) throws(DataFailure) -> Void

    func workspace(_ task: TaskID) -> String { dataPath + "/tasks/" + task.description }

    /// The attempt's output log (the one file stdout and stderr share); `stdout-<n>.log` of nodes
    /// that still write stdout apart.
    func logPath(_ task: TaskID, attempt: UInt32) -> String {
        let base = workspace(task) + "/logs/"
        let shared = base + "output-\(attempt).log"
        let stdout = base + "stdout-\(attempt).log"
        return !Files.exists(shared) && Files.exists(stdout) ? stdout : shared
    }

    func answer(_ request: DataRequest, _ reply: Reply) throws(DataFailure) {
        switch request {
        case .blob(let file):
            guard blobs.holds(file) else { return try reply(.head(status: DataReply.notFound, value: 0, text: "no such blob here")) }
            try send(path: blobs.path(of: file.sha256), reply)
        case .artifact(let task, let name):
            try send(path: workspace(task) + "/artifacts/" + name, reply)
        case .artifacts(let task):
            let listing = artifactListing(task)
            try reply(.head(status: DataReply.ok, value: UInt64(listing.count), text: JSONValue.array(listing.map(\.json)).serialized()))
            try reply(.end(complete: true, reason: ""))
        case .log(let task, let attempt, let offset, let follow):
            try sendLog(task, attempt: attempt, offset: offset, follow: follow, reply)
        }
    }

    /// A regular file, whole: head with its size, chunks, end.
    private func send(path: String, _ reply: Reply) throws(DataFailure) {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        var info = stat()
        guard fd >= 0 else { return try reply(.head(status: DataReply.notFound, value: 0, text: "not found here")) }
        defer { closeDescriptor(fd) }
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            return try reply(.head(status: DataReply.refused, value: 0, text: "not a regular file"))
        }
        let size = UInt64(clamping: info.st_size)
        try reply(.head(status: DataReply.ok, value: size, text: ""))
        var buffer = Bytes(repeating: 0, count: Self.chunkBytes)
        let sent = try pump(fd, from: 0, until: size, buffer: &buffer, reply)
        try reply(.end(complete: sent == size, reason: sent == size ? "" : "the file changed while it was sent"))
    }

    private func sendLog(_ task: TaskID, attempt: UInt32, offset: UInt64, follow: Bool, _ reply: Reply) throws(DataFailure) {
        var fd = open(logPath(task, attempt: attempt), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        while fd < 0 && follow && isRunning(task, attempt) {
            usleep(Self.followPollMicroseconds)
            fd = open(logPath(task, attempt: attempt), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        }
        guard fd >= 0 else {
            return try reply(.head(status: DataReply.notFound, value: 0, text: "no output log of attempt \(attempt) here"))
        }
        defer { closeDescriptor(fd) }
        try reply(.head(status: DataReply.ok, value: offset, text: ""))
        var position = offset
        var quietSince = SystemClock.monotonicNanoseconds()
        var wait = Self.followPollMinMicroseconds
        var buffer = Bytes(repeating: 0, count: Self.chunkBytes)
        while true {
            let running = follow && isRunning(task, attempt)
            let next = try pump(fd, from: position, until: nil, buffer: &buffer, reply)
            if next != position {
                quietSince = SystemClock.monotonicNanoseconds()
                wait = Self.followPollMinMicroseconds
            } else {
                wait = min(wait &* 2, Self.followPollMicroseconds)
            }
            position = next
            guard running else { break }
            if SystemClock.monotonicNanoseconds() - quietSince > Self.heartbeatInterval {
                try reply(.chunk([]))
                quietSince = SystemClock.monotonicNanoseconds()
            }
            usleep(wait)
        }
        try reply(.end(complete: true, reason: follow ? "attempt \(attempt) ended" : ""))
    }

    /// Sends the bytes of `fd` from `offset` to `end` (or to its current end), read into `buffer`
    /// (`chunkBytes`, kept by the caller from call to call); returns where it stopped.
    private func pump(_ fd: Int32, from offset: UInt64, until end: UInt64?, buffer: inout Bytes, _ reply: Reply) throws(DataFailure) -> UInt64 {
        var position = offset
        while end.map({ position < $0 }) ?? true {
            let want = min(Self.chunkBytes, Int(clamping: (end ?? UInt64.max) &- position))
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(clamping: position)) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            try reply(.chunk(count == buffer.count ? buffer : Array(buffer[0..<count])))
            position &+= UInt64(count)
        }
        return position
    }

    /// The regular files in the task's `artifacts/` here, hashed now, name order.
    func artifactListing(_ task: TaskID) -> [TaskFile] {
        let directory = workspace(task) + "/artifacts"
        guard let dir = opendir(directory) else { return [] }
        var names: [String] = []
        while let entry = readdir(dir), names.count < Self.listedArtifactsMax {
            let name = withUnsafePointer(to: entry.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            if TaskFile.nameError(name) == nil { names.append(name) }
        }
        closedir(dir)
        return names.sorted().compactMap { hashFile(directory + "/" + $0, name: $0) }
    }

    /// Name, size and SHA-256 of a regular file (nil for anything else).
    func hashFile(_ path: String, name: String) -> TaskFile? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { closeDescriptor(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        let identity = HashCache.identity(path, info)
        if let known = hashes.hash(of: identity) { return TaskFile(name: name, size: UInt64(clamping: info.st_size), sha256: known) }
        var hasher = SHA256()
        var size: UInt64 = 0
        var buffer = Bytes(repeating: 0, count: Self.chunkBytes)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            size &+= UInt64(count)
        }
        let file = TaskFile(name: name, size: size, sha256: hasher.finalize())
        var after = stat()
        if fstat(fd, &after) == 0, HashCache.identity(path, after) == identity, UInt64(clamping: after.st_size) == size {
            hashes.remember(file.sha256, for: identity)
        }
        return file
    }
}
