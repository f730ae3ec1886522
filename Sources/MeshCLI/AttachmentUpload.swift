import Glibc
import MeshCore
import MeshRuntime

/// `mesh submit --attach FILE`: each file is uploaded to the entry node
/// (`POST /v1/attachments?name=BASENAME`), hashed here too, and the submission names it.
extension MeshCommandLine {
    /// Uploads `paths` through `client`'s node; returns their records (name = base name).
    static func uploadAttachments(_ paths: [String], client: ControlClient) throws(UsageError) -> [TaskFile] {
        var files: [TaskFile] = []
        for path in paths {
            let name = String(path.split(separator: "/", omittingEmptySubsequences: true).last ?? Substring(path))
            if let problem = TaskFile.nameError(name) { throw UsageError("--attach \(path): \(problem)") }
            guard !files.contains(where: { $0.name == name }) else { throw UsageError("--attach: two files are named '\(name)'") }
            let local = try hashLocal(path, name: name)
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw UsageError("--attach \(path): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            let answer: HTTPStreamClient
            let body: Bytes
            do throws(ControlClient.Failure) {
                answer = try HTTPStreamClient(endpoint: client.endpoint, token: client.token, method: "POST",
                                              path: "/v1/attachments?name=" + Percent.encode(name),
                                              headers: [("Content-Type", "application/octet-stream")],
                                              bodyFile: fd, bodyLength: Int(clamping: local.size), idleTimeout: .seconds(60))
                body = try answer.readAll()
            } catch {
                throw UsageError("--attach \(path): \(error)")
            }
            let json = try? JSONValue.parse(String(decoding: body, as: UTF8.self))
            guard answer.status == 201, let json, let stored = try? TaskFile.parse(json) else {
                let message = json.flatMap(ControlError.message(in:)) ?? "status \(answer.status)"
                throw UsageError("--attach \(path): the node refused it: \(message)")
            }
            guard stored.sha256 == local.sha256, stored.size == local.size else {
                throw UsageError("--attach \(path): the node stored \(stored.size) bytes with SHA-256 \(stored.sha256Hex), "
                    + "not the file's \(local.size) bytes and \(local.sha256Hex)")
            }
            files.append(stored)
        }
        return files
    }

    /// Size and SHA-256 of a local file.
    static func hashLocal(_ path: String, name: String) throws(UsageError) -> TaskFile {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw UsageError("--attach \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { throw UsageError("--attach \(path): not a regular file") }
        var hasher = SHA256()
        var size: UInt64 = 0
        var buffer = Bytes(repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw UsageError("--attach \(path): \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            size &+= UInt64(count)
        }
        return TaskFile(name: name, size: size, sha256: hasher.finalize())
    }
}
