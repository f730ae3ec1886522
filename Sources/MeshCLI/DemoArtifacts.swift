import Foundation
import Glibc
import MeshCore
import MeshRuntime

/// One artifact as the history records it, and where the demo saved the verified bytes.
struct DemoArtifact {
    var name: String
    var size: UInt64
    var sha256: String
    var path: String

    var json: JSONValue {
        .object([("name", .string(name)), ("size", .unsignedInteger(size)), ("sha256", .string(sha256)), ("verified", .bool(true))])
    }
}

extension Demo {
    /// Largest artifact the demo re-hashes (its stand-in agents write a few hundred bytes).
    static let artifactBytesMax = 1 << 20

    /// The artifacts the history records for the task: those of the latest event that has any.
    static func recordedArtifacts(_ record: JSONValue) -> [(name: String, size: UInt64, sha256: String)] {
        let event = (record["history"]?.array ?? []).last { !($0["artifacts"]?.array ?? []).isEmpty }
        return (event?["artifacts"]?.array ?? []).compactMap { item in
            guard let name = item["name"]?.string, let size = item["size"]?.unsigned, let hash = item["sha256"]?.string else { return nil }
            return (name, size, hash.lowercased())
        }
    }

    /// Downloads the task's artifacts with `mesh artifacts` (bytes from one node, hashes from
    /// another), then hashes each saved file again here and compares it with the history.
    func fetchArtifacts(_ id: TaskID, stage: DemoAgents.Stage, record: JSONValue) throws -> [DemoArtifact] {
        let recorded = Self.recordedArtifacts(record)
        guard recorded.contains(where: { $0.name == stage.output }) else {
            throw Failure(message: "the history of task \(id) records no \(stage.output) (its declared output)")
        }
        let live = liveNodes()
        let executor = Self.executor(record)?.node
        let server = live.first { cluster.names[$0] == executor } ?? live[0]
        let verifier = live.first { $0 != server } ?? server
        let directory = "\(cluster.directory)/relay/\(stage.profile)"
        note(hasDataPlane ? "fetching its artifacts from \(cluster.names[server]), hashes checked against the history on \(cluster.names[verifier])"
                          : "copying its artifacts out of \(executor ?? "?")'s workspace (no data plane in this build); hashes checked against the history")
        try download(id, names: recorded.map(\.name), executor: executor ?? "?", server: server, verifier: verifier, into: directory)
        var saved: [DemoArtifact] = []
        for file in recorded {
            let path = directory + "/" + file.name
            guard let bytes = try? Files.read(path, bytesMax: Self.artifactBytesMax) else {
                throw Failure(message: "artifact \(file.name) of task \(id) was not saved at \(path)")
            }
            let hash = MeshKey.hex(SHA256.hash(bytes))
            guard UInt64(bytes.count) == file.size, hash == file.sha256 else {
                throw Failure(message: "artifact \(file.name) of task \(id): \(bytes.count) bytes with SHA-256 \(hash), "
                              + "the history says \(file.size) bytes and \(file.sha256)")
            }
            detail("\(file.name)  \(file.size) bytes  sha256 \(hash)  verified")
            saved.append(DemoArtifact(name: file.name, size: file.size, sha256: hash, path: path))
        }
        return saved
    }
}
