import Dispatch
import Glibc
import MeshCore

/// The control API's HTTP/1.1 server: hand-written and bounded (ARCHITECTURE §9). Requests on one
/// connection are answered one at a time, and an HTTP/1.1 client may keep it alive for the next
/// (a benchmark client cannot reach 1,000 submissions a second opening a connection for each); header and body sizes, open connections (in all and per source address) and the time
/// a connection may take are all limited, and slow or idle connections give way to new ones
/// (`ControlAdmission`). Every request must pass `ControlRequestPolicy` (Host, Origin, token,
/// Content-Type) before it reaches the handler. Confined to `queue`.
final class ControlServer: @unchecked Sendable {
    /// The bounds, each a named setting.
    struct Settings {
        /// A task submission carries a prompt: its path gets a larger body limit.
        var limits = HTTPLimits(bodyBytesMaxByPath: ["/v1/tasks": NodeShell.taskBodyBytesMax,
                                                     A2AProtocol.endpointPath: A2ALimits.requestBytesMax])
        /// Connections open at once. Past it, the oldest connection still waiting for its request is
        /// evicted; with none waiting, the newcomer is answered 503.
        var connectionsMax = 32
        /// Connections open at once from one source address, so one host cannot take every slot.
        var connectionsPerSourceMax = 8
        /// The whole request (line, header, body) must arrive within this of the accept, else 408.
        /// Far below `connectionTimeout`: a client that sends a byte at a time is cut off quickly.
        var requestTimeout: Nanoseconds = .seconds(1)
        /// A connection must deliver its first request within this.
        var connectionTimeout: Nanoseconds = .seconds(5)
        /// Once a request has arrived, its answer must be sent within this (a submitted task waits
        /// for its copies: `NodeShell.taskRequestDeadline` plus a margin).
        var answerTimeout: Nanoseconds = .seconds(15)
        /// A kept-alive connection must deliver its next whole request within this of the last
        /// answer, else it is closed. While it waits it is evictable like any waiting connection.
        var keepAliveIdleTimeout: Nanoseconds = .seconds(5)
        /// Answers written over time that are not event streams (`StreamingAnswer`: A2A's waiting
        /// `SendMessage`) open at once; past it, a new one is answered 503. Below `connectionsMax`.
        var streamsMax = 16
        /// Such an answer's connection closes this long after its head, whatever it is doing.
        var streamDurationMax: Nanoseconds = .seconds(3_600)
        /// Server-Sent Events streams open at once. Each holds a connection that is never evicted
        /// (its request has arrived), so it stays well below `connectionsMax`.
        var eventStreamsMax = 16
        /// Server-Sent Events streams open at once from one source address: below
        /// `connectionsPerSourceMax`, so a page left open never keeps `mesh status` out.
        var eventStreamsPerSourceMax = 4
        /// Keep-alive interval and buffer bound of each stream.
        var eventStream = EventStream.Limits()
    }

    private let listener: Listener
    /// Where it listens (with the port the kernel chose, when bound to port 0).
    let endpoint: SocketEndpoint
    let queue: DispatchQueue
    let settings: Settings
    let policy: ControlRequestPolicy
    /// Takes streamed uploads (`ControlRequestPolicy.rawBodyPaths`): given the request head, its
    /// `Content-Length` and a responder, returns the sink for its body, or nil after answering.
    var uploadHandler: ((HTTPRequest, Int, @escaping (HTTPResponse) -> Void) -> HTTPUploadSink?)?
    /// Answers a request now or later: it must call the responder once (a deferred answer, after
    /// a sync or a peer's reply, must still come within the connection's timeout).
    private let handler: (HTTPRequest, @escaping (HTTPResponse) -> Void) -> Void
    var open: [UInt64: Connection] = [:]
    /// Server-Sent Events streams open now, by connection id (`ControlServer+EventStreams`).
    var eventStreams: [UInt64: EventStream] = [:]
    private var admission: ControlAdmission
    private var nextID: UInt64 = 0
    /// Requests answered on each kept-alive connection: a request deadline armed for an earlier
    /// request must not cut off a later one.
    private var answeredCounts: [UInt64: UInt64] = [:]
    /// When each connection's awaited request is due, with the answer count it was armed at: one
    /// timer for all of them (`DeadlineTimer`), not a Dispatch timer per request.
    private var requestsDue: [UInt64: (due: Int64, answered: UInt64)] = [:]
    private lazy var requestTimer = DeadlineTimer(queue: queue, leeway: .milliseconds(10)) { [weak self] in
        self?.requestDeadlinesPassed()
    }
    /// Streamed answers in progress, by connection.
    private var streams: [UInt64: StreamingAnswer] = [:]
    /// Where a newcomer's first bytes are peeked at, to see whether its request is already there.
    private let peekBuffer: UnsafeMutableRawBufferPointer
    /// Connections and requests refused, by reason.
    var rejections: [ControlRejection: UInt64] = [:]

    /// Connections open now (admitted, refused and evicted ones until they have closed).
    var openCount: Int { open.count }

    /// Connections and requests refused before reaching the handler, all reasons together.
    var rejected: UInt64 { rejections.values.reduce(0, &+) }

    /// A server whose every answer is ready at once.
    convenience init(endpoint: SocketEndpoint, token: String?, settings: Settings = Settings(), queue: DispatchQueue,
                     handler: @escaping (HTTPRequest) -> HTTPResponse) throws(SystemError) {
        try self.init(endpoint: endpoint, token: token, settings: settings, queue: queue, deferring: { request, respond in
            respond(handler(request))
        })
    }

    /// A server whose handler may answer later, on `queue`, through the responder it is given.
    init(endpoint: SocketEndpoint, token: String?, settings: Settings = Settings(), queue: DispatchQueue,
         deferring handler: @escaping (HTTPRequest, @escaping (HTTPResponse) -> Void) -> Void) throws(SystemError) {
        let fd = try Sockets.listener(boundTo: endpoint)
        self.endpoint = Sockets.localEndpoint(fd) ?? endpoint
        let box = ControlAcceptBox()
        listener = Listener(fd: fd, queue: queue, batch: 8) { clientFD, peer in box.server?.accepted(clientFD, peer: peer) }
        self.queue = queue
        self.settings = settings
        policy = ControlRequestPolicy(listening: self.endpoint, token: token)
        admission = ControlAdmission(connectionsMax: settings.connectionsMax,
                                     connectionsPerSourceMax: settings.connectionsPerSourceMax)
        peekBuffer = .allocate(byteCount: settings.limits.requestBytesMax, alignment: 8)
        self.handler = handler
        box.server = self
    }

    deinit { peekBuffer.deallocate() }

    func start() { listener.start() }

    func stop() {
        listener.stop()
        requestTimer.cancel()
        for connection in open.values { connection.close() }
        open.removeAll()
        admission.removeAll()
    }

    private func accepted(_ clientFD: Int32, peer: SocketEndpoint?) {
        let id = nextID
        nextID += 1
        let hasRequest = isRequestWaiting(clientFD)
        let connection = Connection.accepted(fd: clientFD, peer: peer, queue: queue,
                                             inputBytesMax: settings.limits.requestBytesMax)
        open[id] = connection
        connection.onClose = { [self] _, _ in
            open.removeValue(forKey: id)
            answeredCounts.removeValue(forKey: id)
            requestsDue.removeValue(forKey: id)
            admission.remove(id)
            streams.removeValue(forKey: id)?.ended()
            eventStreams.removeValue(forKey: id)?.ended()
        }
        connection.start(timeout: settings.connectionTimeout)
        refreshWaiting()
        switch admission.admit(id, from: peer, hasRequest: hasRequest) {
        case .refused:
            refuse(connection, .tooManyConnections, .error(503, "too many control connections"))
        case .admitted(let victim):
            if let victim, let evicted = open[victim] {
                refuse(evicted, .evicted, .error(503, "closed to make room: the request did not arrive in time"))
            }
            serve(connection, id: id)
        }
    }

    private func serve(_ connection: Connection, id: UInt64) {
        let local = Sockets.localEndpoint(connection.fd)
        answeredCounts[id] = 0
        armRequestDeadline(id, after: settings.requestTimeout)
        connection.onInput = { [self] connection in readRequest(connection, id: id, local: local) }
    }

    /// Parses what arrived; a whole request that passes the policy goes to the handler.
    private func readRequest(_ connection: Connection, id: UInt64, local: SocketEndpoint?) {
        if beginUpload(connection, id: id, local: local) { return }
        switch HTTPRequestParser.parse(connection.input, limits: settings.limits) {
        case .incomplete:
            if connection.isInputFinished { connection.close() }
        case .invalid(let status, let reason):
            admission.requestArrived(id)
            refuse(connection, .malformed, .error(status, reason))
        case .complete(let request, let consumed):
            admission.requestArrived(id)
            connection.onInput = nil
            connection.consume(consumed)
            if let (reason, response) = policy.refusal(of: request, arrivedAt: local) {
                return refuse(connection, reason, response)
            }
            connection.setDeadline(settings.answerTimeout)
            let keepsAlive = request.keepsAlive
            var isAnswered = false
            handler(request) { [self] response in
                guard !isAnswered else { return }
                isAnswered = true
                if let opener = response.eventStream {
                    return openEventStream(connection, id: id, request: request, head: response, opener: opener)
                }
                answer(connection, id: id, local: local, response, keepsAlive: keepsAlive)
            }
        }
    }

    /// Sends `response`; a kept-alive connection then waits for its next request (which may
    /// already be in its input: a pipelining client).
    func answer(_ connection: Connection, id: UInt64, local: SocketEndpoint?, _ response: HTTPResponse,
                keepsAlive: Bool) {
        if let streaming = response.streamingAnswer { return openStream(connection, id: id, response, streaming) }
        if let body = response.stream { return answerStreamed(connection, response, body: body) }
        let keepsAlive = keepsAlive && !connection.isInputFinished && connection.ending == nil
        connection.send(response.serialized(keepAlive: keepsAlive), thenClose: !keepsAlive)
        guard keepsAlive, let count = answeredCounts[id] else { return }
        answeredCounts[id] = count &+ 1
        admission.awaitingNextRequest(id)
        connection.setDeadline(settings.keepAliveIdleTimeout &+ settings.requestTimeout)
        armRequestDeadline(id, after: settings.keepAliveIdleTimeout)
        connection.onInput = { [self] connection in readRequest(connection, id: id, local: local) }
        if !connection.input.isEmpty { readRequest(connection, id: id, local: local) }
    }

    /// Sends a streamed answer's head and hands it the connection, or 503 past `streamsMax`.
    private func openStream(_ connection: Connection, id: UInt64, _ response: HTTPResponse, _ answer: StreamingAnswer) {
        guard connection.ending == nil else { return answer.ended() }   // the client left while the handler decided
        guard streams.count < settings.streamsMax else {
            connection.send(HTTPResponse.error(503, "\(settings.streamsMax) streams are open; try again later").serialized,
                            thenClose: true)
            return answer.ended()
        }
        streams[id] = answer
        connection.setDeadline(settings.streamDurationMax)
        connection.send(response.streamingHead)
        answer.opened(on: connection)
    }

    /// The request on connection `id` has arrived (it no longer waits, nor can be evicted).
    func admissionArrived(_ id: UInt64) { admission.requestArrived(id) }

    private func armRequestDeadline(_ id: UInt64, after timeout: Nanoseconds) {
        let due = SystemClock.monotonicNanoseconds() &+ timeout
        requestsDue[id] = (due, answeredCounts[id] ?? 0)
        requestTimer.setEarlier(due)
    }

    /// Handles every request deadline that has passed, then waits for the next one.
    private func requestDeadlinesPassed() {
        let now = SystemClock.monotonicNanoseconds()
        for id in requestsDue.filter({ $0.value.due <= now }).keys.sorted() {
            guard let entry = requestsDue.removeValue(forKey: id) else { continue }   // closed meanwhile
            requestDeadlinePassed(id, answered: entry.answered)
        }
        if let next = requestsDue.values.map(\.due).min() { requestTimer.setEarlier(next) }
    }

    /// Answers `response`, counts `reason` and closes; later input on the connection is ignored.
    func refuse(_ connection: Connection, _ reason: ControlRejection, _ response: HTTPResponse) {
        connection.onInput = nil
        rejections[reason, default: 0] += 1
        connection.send(response.serialized, thenClose: true)
    }

    private func requestDeadlinePassed(_ id: UInt64, answered: UInt64) {
        guard admission.isWaiting(id), answeredCounts[id] == answered, let connection = open[id] else { return }
        admission.requestArrived(id)
        if answered > 0 && connection.input.isEmpty { return connection.close() }   // an idle kept-alive connection
        refuse(connection, .requestTimeout, .error(408, "the request did not arrive within the request deadline"))
    }

    /// True when the newcomer's whole request (or something the parser already refuses) is in the
    /// socket: such a connection is ready, not waiting, from the start.
    private func isRequestWaiting(_ fd: Int32, after received: Bytes = []) -> Bool {
        let count = recv(fd, peekBuffer.baseAddress, max(0, peekBuffer.count - received.count), Int32(MSG_PEEK) | Int32(MSG_DONTWAIT))
        let bytes = received + (count > 0 ? Bytes(UnsafeRawBufferPointer(rebasing: peekBuffer[0..<count])) : [])
        guard !bytes.isEmpty else { return false }
        return HTTPRequestParser.parse(bytes, limits: settings.limits) != .incomplete
    }

    /// Marks ready every waiting connection whose whole request has reached its socket but not yet
    /// been read, before a newcomer may evict one: under load, a burst of accepts can come before
    /// the reads, and a well-behaved client must not be evicted for bytes it already sent.
    private func refreshWaiting() {
        for (id, connection) in open where admission.isWaiting(id) {
            if isRequestWaiting(connection.fd, after: connection.input) { admission.requestArrived(id) }
        }
    }
}

/// Lets the listener's closure, made in `init`, reach the server once it exists.
private final class ControlAcceptBox: @unchecked Sendable {
    weak var server: ControlServer?
}
