import Dispatch
import MeshCore

/// The live member feed behind `GET /v1/status/events` (Server-Sent Events): what `GET /v1/status`
/// answers (members with state, round trip and capacity record), pushed as `event: status` when
/// the stream opens and then every `interval` while it stays open. One timer serves every open
/// stream; with none open the node does nothing. The web page (`WebPage`) reads it.
struct StatusFeed {
    /// How often the status goes out on every open stream: round trips and ages change all the
    /// time, so it is sent whole at this pace rather than on each change.
    static let interval: Nanoseconds = .seconds(2)

    /// The open streams, by subscriber id.
    var streams: [UInt64: EventStream] = [:]
    var nextSubscriber: UInt64 = 0
    /// Events sent so far (the `id:` of the next one).
    var sequence: UInt64 = 0
    /// True while the next round is scheduled.
    var isTicking = false
}

extension NodeShell {
    /// `GET /v1/status/events`: answers and returns true; false for another path.
    func handleStatusEvents(_ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void) -> Bool {
        guard request.path == "/v1/status/events" else { return false }
        guard request.method == "GET" else {
            respond(methodNotAllowed(request, allow: "GET"))
            return true
        }
        if let name = ControlBody.query(request.query).keys.sorted().first {
            respond(.error(400, "'\(name.prefix(64))' is not a query parameter here (this route takes none)",
                           code: "bad_field", details: [("field", .string(String(name.prefix(64))))]))
            return true
        }
        respond(.eventStream { [self] stream in subscribeStatus(stream) })
        return true
    }

    private func subscribeStatus(_ stream: EventStream) {
        statusFeed.nextSubscriber &+= 1
        let id = statusFeed.nextSubscriber
        stream.onClose = { [self] in statusFeed.streams.removeValue(forKey: id) }
        sendStatus(to: stream)
        guard stream.isOpen else { return }   // cut off already (its reader lags)
        statusFeed.streams[id] = stream
        if !statusFeed.isTicking { scheduleStatusRound() }
    }

    private func scheduleStatusRound() {
        statusFeed.isTicking = true
        queue.asyncAfter(deadline: .now() + .nanoseconds(Int(StatusFeed.interval))) { [self] in
            guard !statusFeed.streams.isEmpty, exitStatus == nil else {
                statusFeed.isTicking = false
                return
            }
            let data = statusReport().json.serialized()
            // In id order (not the dictionary's): a stream cut off leaves the dictionary at once.
            for key in statusFeed.streams.keys.sorted() {
                if let stream = statusFeed.streams[key] { sendStatus(data, to: stream) }
            }
            scheduleStatusRound()
        }
    }

    private func sendStatus(_ data: String? = nil, to stream: EventStream) {
        statusFeed.sequence &+= 1
        stream.send(event: "status", id: String(statusFeed.sequence), data: data ?? statusReport().json.serialized())
    }
}
