import Foundation
import Glibc
import MeshCore
import MeshRuntime

extension MeshCommandLine {
    static let artifactsCommand = Command(
        name: "artifacts", summary: "download a task's artifacts into DIR/<name>, each checked against its SHA-256 in the history",
        usage: "artifacts ID [--out DIR] [--verify-http ADDR:PORT] [--json] [--http ADDR:PORT]",
        options: clientOptions + [
            .value("out", "DIR", "where to write them (default ./<id>/); never outside it"),
            .value("verify-http", "ADDR:PORT", "another node's control API: the hashes are read from it, not from the node serving the bytes"),
            .flag("json", "print {\"task\", \"artifacts\": [{name, size, sha256, path}]}"),
        ]) { arguments in
        guard arguments.positionals.count == 1, let text = arguments.positionals.first else {
            throw UsageError("artifacts takes one task id (see mesh artifacts --help)")
        }
        guard let id = TaskID(text) else { throw UsageError("'\(text.prefix(80))' is not a task id (32 hex digits, as mesh submit prints)") }
        let client = try controlClient(arguments)
        var verifier = client
        if let other = arguments.value("verify-http") {
            guard let endpoint = SocketEndpoint(parsing: other), endpoint.port != 0 else {
                throw UsageError("--verify-http must be IPV4:PORT or [IPV6]:PORT (got '\(other)')")
            }
            verifier.endpoint = endpoint
        } else {
            printError("note: the hashes are read from the node that serves the bytes; give --verify-http ADDR:PORT to check them against another node")
        }
        let directory = arguments.value("out") ?? "./\(id)"
        do {
            let expected = try ArtifactDownload.listing(id, from: verifier)
            try Files.makeDirectory(directory, mode: 0o755)
            var saved: [JSONValue] = []
            for file in expected {
                let path = try ArtifactDownload(id: id, file: file, client: client, directory: directory).run()
                var members = file.json.object ?? []
                members.append(("path", .string(path)))
                saved.append(.object(members))
                if !arguments.has("json") { print("\(file.sha256Hex)  \(file.size)  \(path)") }
            }
            if arguments.has("json") { print(JSONValue.object([("task", .string(id.description)), ("artifacts", .array(saved))]).serialized(pretty: true)) }
            return 0
        } catch let error as ArtifactDownload.Failure {
            printError(error.description)
            return 1
        } catch let error as SystemError {
            printError("cannot write into \(directory): \(error.reason)")
            return 1
        }
    }
}

/// One artifact downloaded into a directory: written to a hidden temporary name while its hash is
/// computed, renamed to its name only when size and SHA-256 match the expected ones (and the
/// serving node's `X-Mesh-SHA256`); a name that fails `TaskFile.nameError` is refused, so nothing
/// is ever written outside the directory.
struct ArtifactDownload {
    struct Failure: Error, CustomStringConvertible { var description: String }

    let id: TaskID
    let file: TaskFile
    let client: ControlClient
    let directory: String

    /// The artifacts the history lists, as `client`'s node reports them.
    static func listing(_ id: TaskID, from client: ControlClient) throws(Failure) -> [TaskFile] {
        let body: Bytes
        let status: Int
        do throws(ControlClient.Failure) {
            let answer = try HTTPStreamClient(endpoint: client.endpoint, token: client.token, method: "GET", path: "/v1/tasks/\(id)/artifacts")
            body = try answer.readAll()
            status = answer.status
        } catch { throw Failure(description: error.description) }
        let json = try? JSONValue.parse(String(decoding: body, as: UTF8.self))
        guard status == 200, let items = json?["artifacts"]?.array else {
            throw Failure(description: "cannot list the artifacts of \(id): \(json.flatMap(ControlError.message(in:)) ?? "status \(status)")")
        }
        var files: [TaskFile] = []
        for item in items {
            guard let file = try? TaskFile.parse(item) else {
                throw Failure(description: "refusing artifact \(item["name"]?.string.map { "'\($0.prefix(80))'" } ?? "without a name"): not a safe file name")
            }
            files.append(file)
        }
        return files
    }

    /// Downloads, checks and names the file; returns its path.
    func run() throws(Failure) -> String {
        guard TaskFile.nameError(file.name) == nil else { throw Failure(description: "refusing artifact '\(file.name)': not a safe file name") }
        let target = directory + "/" + file.name
        let temporary = directory + "/.\(file.name).partial"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(description: "cannot write \(temporary): \(String(cString: strerror(errno)))") }
        var isKept = false
        defer {
            close(fd)
            if !isKept { unlink(temporary) }
        }
        let (size, hash, served) = try fetch(into: fd)
        guard size == file.size, hash == file.sha256 else {
            throw Failure(description: "artifact '\(file.name)' arrived with \(size) bytes and SHA-256 \(MeshKey.hex(hash)); the history says \(file.size) bytes and \(file.sha256Hex): not saved")
        }
        if let served, served.lowercased() != file.sha256Hex {
            throw Failure(description: "artifact '\(file.name)': the serving node claims SHA-256 \(served), the history \(file.sha256Hex): not saved")
        }
        guard fsync(fd) == 0, rename(temporary, target) == 0 else {
            throw Failure(description: "cannot save \(target): \(String(cString: strerror(errno)))")
        }
        isKept = true
        return target
    }

    private func fetch(into fd: Int32) throws(Failure) -> (UInt64, Bytes, String?) {
        var hasher = SHA256()
        var size: UInt64 = 0
        do {
            let answer = try HTTPStreamClient(endpoint: client.endpoint, token: client.token, method: "GET",
                                              path: "/v1/tasks/\(id)/artifacts/" + Percent.encode(file.name))
            guard answer.status == 200 else {
                let json = try? JSONValue.parse(String(decoding: (try? answer.readAll()) ?? [], as: UTF8.self))
                throw Failure(description: "cannot download '\(file.name)': \(json.flatMap(ControlError.message(in:)) ?? "status \(answer.status)")")
            }
            while let piece = try answer.read() {
                hasher.update(piece)
                size &+= UInt64(piece.count)
                guard size <= file.size else { throw Failure(description: "artifact '\(file.name)' is larger than the \(file.size) bytes the history says") }
                var written = 0
                while written < piece.count {
                    let count = piece.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
                    if count < 0 && errno == EINTR { continue }
                    guard count > 0 else { throw Failure(description: "cannot write '\(file.name)': \(String(cString: strerror(errno)))") }
                    written += count
                }
            }
            return (size, hasher.finalize(), answer.headers["x-mesh-sha256"])
        } catch let error as Failure {
            throw error
        } catch {
            throw Failure(description: "downloading '\(file.name)': \(error)")
        }
    }
}
