import Foundation
import MeshCore

/// The artifact routes (issue 10 §4), answered by any node:
///
/// - `GET /v1/tasks/{id}/artifacts` — `{"task","attempt","node","source","artifacts":[{name,size,sha256}]}`:
///   what the history recorded (`source: "history"`), or, for an attempt whose artifacts the
///   history does not list, what the executor's workspace holds, hashed now (`"workspace"`).
/// - `GET /v1/tasks/{id}/artifacts/{name}` — the bytes, proxied from the member that holds them,
///   with `Content-Length`, `X-Mesh-SHA256: <hex>` and `ETag: "<hex>"`.
extension NodeShell {
    func handleEvidenceRoute(_ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void) -> Bool {
        if request.path == "/v1/attachments" {   // a POST is taken as a streamed upload before routing
            respond(Self.methodNotAllowed(request, allow: "POST"))
            return true
        }
        guard request.path.hasPrefix("/v1/tasks/") else { return false }
        let parts = request.path.dropFirst("/v1/tasks/".count).split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[1] == "logs" || parts[1] == "artifacts" else { return false }
        guard request.method == "GET" else {
            respond(Self.methodNotAllowed(request, allow: "GET"))
            return true
        }
        guard let id = TaskID(String(parts[0])) else {
            respond(Self.fieldError(TaskFieldError("id", "is not a task id (32 hex digits)")))
            return true
        }
        switch (parts[1], parts.count) {
        case ("logs", 2): serveLogs(id, request, respond: respond)
        case ("artifacts", 2): listArtifacts(id, respond: respond)
        case ("artifacts", 3):
            guard let name = Percent.decode(parts[2]) else {
                respond(Self.fieldError(TaskFieldError("name", "is not a valid percent-encoded name")))
                return true
            }
            if let problem = TaskFile.nameError(name) {
                respond(Self.fieldError(TaskFieldError("name", problem)))
                return true
            }
            serveArtifact(id, name: name, respond: respond)
        default: respond(.error(404, "no such route: \(request.path)"))
        }
        return true
    }

    /// Where a task's artifacts are and what they are: the history's record when it has one,
    /// else the executor of the latest attempt with its workspace listing. On a data thread.
    private func locateArtifacts(_ id: TaskID, respond: QueuedResponder,
                                 then: @escaping @Sendable (ArtifactSet) -> Void) {
        queue.async { [self] in
            withRecord(id, respond: { respond($0) }) { [self] record in
                if let recorded = Self.recordedArtifacts(record) {
                    let set = ArtifactSet(attempt: recorded.attempt, node: recorded.node, source: "history",
                                          files: recorded.files, address: memberAddress(recorded.node))
                    return Thread { then(set) }.start()
                }
                guard let (attempt, node) = Self.executor(of: record, attempt: nil) else {
                    return respond(.error(409, "no attempt of task \(id) has started", code: "not_started"))
                }
                guard let data else { return respond(.error(503, "\(options.name) has no data directory")) }
                let address = node == options.name ? nil : memberAddress(node)
                if node != options.name && address == nil { return respond(.error(503, "\(node) is not a member this node knows")) }
                Thread {
                    do throws(DataFailure) {
                        var files: [TaskFile] = []
                        try data.read(.artifacts(id), from: address) { (reply) throws(DataFailure) in
                            guard case .head(_, _, let text) = reply else { return }
                            files = (try? JSONValue.parse(text))?.array?.compactMap { try? TaskFile.parse($0) } ?? []
                        }
                        then(ArtifactSet(attempt: attempt, node: node, source: "workspace", files: files, address: address))
                    } catch {
                        respond(.error(502, "cannot list the artifacts on \(node): \(error)"))
                    }
                }.start()
            }
        }
    }

    private func listArtifacts(_ id: TaskID, respond: @escaping (HTTPResponse) -> Void) {
        let responder = QueuedResponder(queue: queue, respond)
        locateArtifacts(id, respond: responder) { set in
            responder(.json(.object([("task", .string(id.description)), ("attempt", .integer(Int64(set.attempt))),
                                     ("node", .string(set.node)), ("source", .string(set.source)),
                                     ("artifacts", .array(set.files.map(\.json)))])))
        }
    }

    private func serveArtifact(_ id: TaskID, name: String, respond: @escaping (HTTPResponse) -> Void) {
        guard let data else { return respond(.error(503, "\(options.name) has no data directory")) }
        let responder = QueuedResponder(queue: queue, respond)
        let selfName = options.name
        locateArtifacts(id, respond: responder) { [self] set in
            guard let file = set.files.first(where: { $0.name == name }) else {
                return responder(.error(404, "task \(id) has no artifact '\(name)' (attempt \(set.attempt) on \(set.node))"))
            }
            let headers = [("Content-Type", "application/octet-stream"), ("X-Mesh-SHA256", file.sha256Hex),
                           ("ETag", "\"\(file.sha256Hex)\""), ("X-Mesh-Artifact-Node", set.node)]
            relay(.artifact(id, name: name), from: set.node == selfName ? nil : set.address, data: data,
                  respond: responder, chunked: false) { _ in headers }
        }
    }

    /// The artifacts the history records: those of the latest event that lists any, with the
    /// attempt and the member that ran it (the node of that attempt's `running` event).
    static func recordedArtifacts(_ record: TaskRecord) -> (attempt: UInt32, node: String, files: [TaskFile])? {
        guard let event = record.history.last(where: { !$0.artifacts.isEmpty }) else { return nil }
        let executor = executor(of: record, attempt: event.attempt)?.1 ?? event.node
        return (event.attempt, executor, event.artifacts)
    }
}

/// A task's artifacts and where they are.
struct ArtifactSet: Sendable {
    var attempt: UInt32
    var node: String
    var source: String
    var files: [TaskFile]
    var address: Address?
}
