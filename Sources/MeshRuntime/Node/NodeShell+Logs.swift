import Foundation
import MeshCore

/// `GET /v1/tasks/{id}/logs?attempt=A&from=N&follow=1` (issue 10 §4): an attempt's output log
/// (stdout and stderr in one file) from byte `N`, from whichever member runs or ran the attempt,
/// streamed as it is read (`text/plain`, chunked). Headers `X-Mesh-Log-Attempt`,
/// `X-Mesh-Log-Offset` (where the bytes start) and `X-Mesh-Log-Node` (the executor). With
/// `follow=1` the body goes on until the attempt has ended and its log is drained. Without
/// `attempt`, the latest attempt that started. `409 {"code":"not_started"}` before any attempt ran.
/// With `Accept: text/event-stream`: Server-Sent Events instead (NodeShell+LogEvents.swift).
extension NodeShell {
    /// The query parameters of the logs route.
    static let logParameters = ["attempt", "from", "follow"]

    /// What a logs request asks for.
    struct LogAsk {
        var attempt: UInt32?
        var offset: UInt64 = 0
        var follow = false
    }

    static func logAsk(query: String) throws(TaskFieldError) -> LogAsk {
        guard let pairs = Percent.query(query) else { throw TaskFieldError("query", "is not a valid query string") }
        var ask = LogAsk()
        for (name, value) in pairs {
            switch name {
            case "attempt":
                guard let attempt = UInt32(value), attempt >= 1, attempt <= UInt32.max / 2 else {
                    throw TaskFieldError("attempt", "must be a whole number from 1")
                }
                ask.attempt = attempt
            case "from":
                guard let offset = UInt64(value), offset <= TaskLimits.fileBytesCeiling else {
                    throw TaskFieldError("from", "must be a byte offset (a whole number)")
                }
                ask.offset = offset
            case "follow":
                guard ["0", "1", "true", "false"].contains(value) else { throw TaskFieldError("follow", "must be 1 or 0") }
                ask.follow = value == "1" || value == "true"
            default:
                throw TaskFieldError(String(name.prefix(64)), "is not a query parameter here (known: \(logParameters.joined(separator: ", ")))")
            }
        }
        return ask
    }

    func serveLogs(_ id: TaskID, _ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void) {
        var ask: LogAsk
        let events = Self.wantsEvents(request)
        do {
            ask = try Self.logAsk(query: request.query)
            if events { ask = try Self.resumed(ask, request) }
        } catch { return respond(Self.fieldError(error)) }
        withRecord(id, respond: respond) { [self] record in
            guard let (attempt, executor) = Self.executor(of: record, attempt: ask.attempt) else {
                let which = ask.attempt.map { "attempt \($0) of task \(id) has" } ?? "no attempt of task \(id) has"
                return respond(.error(409, "\(which) not started yet", code: "not_started",
                                      details: [("state", .string(record.state.rawValue))]))
            }
            guard let data else { return respond(.error(503, "\(options.name) has no data directory")) }
            let source: Address?
            if executor == options.name { source = nil } else {
                guard let address = memberAddress(executor) else {
                    return respond(.error(503, "attempt \(attempt) ran on \(executor), which this node does not know"))
                }
                source = address
            }
            let headers = [("Content-Type", "text/plain; charset=utf-8"), ("X-Mesh-Log-Attempt", String(attempt)),
                           ("X-Mesh-Log-Node", executor)]
            let request = DataRequest.log(id, attempt: attempt, offset: ask.offset, follow: ask.follow)
            if events {
                let head = [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache"), ("X-Accel-Buffering", "no")]
                return relayEvents(request, task: id, attempt: attempt, from: source, data: data,
                                   respond: QueuedResponder(queue: queue, respond), headers: head + headers.dropFirst())
            }
            relay(request, from: source, data: data, respond: QueuedResponder(queue: queue, respond)) { value in
                headers + [("X-Mesh-Log-Offset", String(value))]
            }
        }
    }

    /// The attempt asked for (or the latest that started) and the member it ran on.
    static func executor(of record: TaskRecord, attempt: UInt32?) -> (UInt32, String)? {
        let started = record.history.filter { $0.state == .task(.running) }
        let event = attempt.map { wanted in started.last { $0.attempt == wanted } } ?? started.last
        return event.map { ($0.attempt, $0.node) }
    }

    /// A member's address (nil when this node does not know it).
    func memberAddress(_ name: String) -> Address? {
        core.membership.members.members.first { $0.name == name }?.address
    }

    /// Asks the core for the task's newest record; answers 404 / 503 itself.
    func withRecord(_ id: TaskID, respond: @escaping (HTTPResponse) -> Void, then: @escaping (TaskRecord) -> Void) {
        control(.task(id)) { reply in
            switch reply {
            case .task(let record): then(record)
            case .taskNotFound: respond(.error(404, "no such task: \(id)", code: "not_found"))
            case .refused(let reason): respond(.json(TaskRefusal.unavailable(reason).json, status: 503))
            default: respond(.error(500, "unexpected reply from the node: \(reply)"))
            }
        }
    }

    /// Reads `request` (from `source`, or this node) on a thread of its own and streams it as the
    /// response: `headers(value)` gives the head once the source's head has come; a source that
    /// has nothing answers 404, one that fails before its head 502; a failure after it cuts the
    /// body short (the client sees it incomplete and resumes from its cursor).
    func relay(_ request: DataRequest, from source: Address?, data: DataPlane, respond: QueuedResponder,
               chunked: Bool = true, headers: @escaping @Sendable (UInt64) -> [(String, String)]) {
        relay(request, from: source, data: data, respond: respond, chunked: chunked, thread: "mesh.data-relay",
              shape: PlainRelay(chunked: chunked, headers: headers))
    }

    /// `relay` with the body shaped by `shape`, on a thread named `name`.
    func relay(_ request: DataRequest, from source: Address?, data: DataPlane, respond: QueuedResponder,
               chunked: Bool, thread name: String, shape: some RelayShape) {
        let thread = Thread {
            var shape = shape
            let body = HTTPBodyStream(chunked: chunked)
            var answered = false
            do throws(DataFailure) {
                try data.read(request, from: source) { (reply) throws(DataFailure) in
                    switch reply {
                    case .head(let status, let value, let text):
                        answered = true
                        guard status == DataReply.ok else { return respond(.error(status == DataReply.notFound ? 404 : 403, text)) }
                        let (head, opening) = shape.head(value)
                        respond(HTTPResponse(status: 200, headers: head, stream: body))
                        if let opening, !body.write(opening) { throw DataFailure("the client went away") }
                    case .chunk(let bytes):
                        guard body.write(shape.piece(bytes)) else { throw DataFailure("the client went away") }
                    case .end(let complete, _):
                        guard complete else { return body.abort() }
                        shape.close { _ = body.write($0) }
                        body.finish()
                    }
                }
            } catch {
                if answered { body.abort() } else { respond(.error(502, "cannot read from \(source?.description ?? "this node"): \(error)")) }
            }
        }
        thread.name = name
        thread.start()
    }
}

/// How `NodeShell.relay` shapes what it reads into the response body.
protocol RelayShape: Sendable {
    /// The response head once the source's head came with `value`, and bytes to write at once (nil: none).
    mutating func head(_ value: UInt64) -> (headers: [(String, String)], opening: Bytes?)
    /// What to write for a piece the source sent.
    mutating func piece(_ bytes: Bytes) -> Bytes
    /// Writes what ends a complete body, if anything.
    mutating func close(_ write: (Bytes) -> Void)
}

/// The source's bytes as they are, under `headers(value)` (with `Content-Length` when not chunked).
struct PlainRelay: RelayShape {
    let chunked: Bool
    let headers: @Sendable (UInt64) -> [(String, String)]

    func head(_ value: UInt64) -> (headers: [(String, String)], opening: Bytes?) {
        var head = headers(value)
        if !chunked { head.append(("Content-Length", String(value))) }
        return (head, nil)
    }

    func piece(_ bytes: Bytes) -> Bytes { bytes }

    func close(_ write: (Bytes) -> Void) {}
}
