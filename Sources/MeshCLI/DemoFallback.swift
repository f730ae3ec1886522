import Foundation
import Glibc
import MeshCore
import MeshRuntime

/// The demo's reads of logs and artifacts, and how outputs reach the next task: through the data
/// plane (`mesh logs`, `mesh artifacts`, `mesh submit --attach`) when this build has it, else
/// straight from the workspaces in the nodes' data directories (which the demo owns), with the
/// previous outputs passed inside the prompt. Either way the hashes are checked against the history.
extension Demo {
    /// The log of `attempt` (nil: the latest) of task `id`: served by node `reader` through the data
    /// plane, or read from node `executor`'s workspace.
    func readLog(_ id: TaskID, attempt: Int64?, executor: String, reader: Int, quiet: Bool) throws -> String {
        guard hasDataPlane else {
            let attemptNumber = attempt ?? record(id).flatMap(Self.executor)?.attempt ?? 1
            let path = "\(cluster.directory)/data-\(executor)/tasks/\(id)/logs/output-\(attemptNumber).log"
            return (try? Files.readText(path, bytesMax: Self.artifactBytesMax)) ?? ""
        }
        var arguments = ["logs", id.description, "--http", cluster.httpEndpoint(reader).description]
        if let attempt { arguments += ["--attempt", String(attempt)] }
        let result = try shell.run(arguments, quiet: quiet)
        guard result.status == 0 else {
            throw Failure(message: "reading the log of task \(id) through \(cluster.names[reader]): `mesh logs` exited with \(result.status): "
                          + result.errors.trimmingCharacters(in: .whitespacesAndNewlines).prefix(600))
        }
        return result.output
    }

    /// Puts the task's artifacts into `directory`: `mesh artifacts` from `server` with the hashes read
    /// from `verifier`, or copies out of `executor`'s workspace without the data plane.
    func download(_ id: TaskID, names: [String], executor: String, server: Int, verifier: Int, into directory: String) throws {
        guard hasDataPlane else {
            try Files.makeDirectory(directory, mode: 0o755)
            for name in names {
                let source = "\(cluster.directory)/data-\(executor)/tasks/\(id)/artifacts/\(name)"
                guard let bytes = try? Files.read(source, bytesMax: Self.artifactBytesMax) else {
                    throw Failure(message: "artifact \(name) of task \(id) is not in \(executor)'s workspace (\(source))")
                }
                try Files.writeAtomically(directory + "/" + name, bytes, mode: 0o644)
            }
            return
        }
        _ = try shell.expectSuccess(["artifacts", id.description, "--out", directory,
                                     "--verify-http", cluster.httpEndpoint(verifier).description, "--json",
                                     "--http", cluster.httpEndpoint(server).description], step: "fetching the artifacts of task \(id)")
    }

    /// The submission's prompt and `--attach` flags for the previous outputs at `paths`.
    func handOver(_ prompt: String, attachments paths: [String]) -> (prompt: String, flags: [String]) {
        guard !hasDataPlane else { return (prompt, paths.flatMap { ["--attach", $0] }) }
        var text = prompt
        for path in paths {
            let body = (try? Files.readText(path, bytesMax: Self.artifactBytesMax)) ?? ""
            text += "\n\n--- \((path as NSString).lastPathComponent) ---\n" + body
        }
        return (text, [])
    }
}
