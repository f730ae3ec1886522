import Dispatch
import MeshCore

/// One open Server-Sent Events stream (the WHATWG HTML "server-sent events" format) on a control
/// API connection: the node pushes events while the client listens. Made by the control server
/// when a handler answers with `HTTPResponse.eventStream(_:)`; the handler keeps it and calls
/// `send` whenever it has something to say.
///
/// - Every `keepAliveInterval` without an event, a comment line (`: keep-alive`) goes out, so a
///   silent stream survives proxies and client read timeouts.
/// - A client that stops reading is cut off once `bufferedBytesMax` bytes wait unsent: a node
///   never buffers without bound for one slow reader.
/// - When the client goes away (or the node stops), `onClose` is called once and later `send`s
///   are ignored.
///
/// Confined to the control server's queue (hence `@unchecked Sendable`), like the connection.
public final class EventStream: @unchecked Sendable {
    /// The bounds of one stream.
    public struct Limits: Sendable, Equatable {
        /// A comment line goes out after this long without any other bytes.
        public var keepAliveInterval: Nanoseconds
        /// Bytes waiting unsent (the client does not read) past which the stream is closed.
        public var bufferedBytesMax: Int

        public init(keepAliveInterval: Nanoseconds = .seconds(15), bufferedBytesMax: Int = 1 << 20) {
            self.keepAliveInterval = keepAliveInterval; self.bufferedBytesMax = bufferedBytesMax
        }
    }

    /// The request that opened the stream (its query string, `Last-Event-ID` header, …).
    public let request: HTTPRequest
    private let connection: Connection
    private let limits: Limits
    private var keepAlive: DispatchSourceTimer?
    private var lastSentAt: Nanoseconds
    /// Called once, when the stream ends for any reason (the client left, `close()`, the node stops).
    public var onClose: (() -> Void)?
    /// True until the stream has ended.
    public private(set) var isOpen = true

    init(request: HTTPRequest, connection: Connection, limits: Limits) {
        self.request = request
        self.connection = connection
        self.limits = limits
        lastSentAt = SystemClock.monotonicNanoseconds()
    }

    /// The `Last-Event-ID` the client sent when it reconnected (nil on a first connection).
    public var lastEventID: String? { request.headers["last-event-id"] }

    /// Sends one event: `event:` (omitted when nil), `id:` (omitted when nil) and one `data:` line
    /// per line of `data`. Line ends in `event` and `id` are removed (they would end the field).
    public func send(event: String? = nil, id: String? = nil, data: String) {
        var text = ""
        if let event { text += "event: " + Self.oneLine(event) + "\n" }
        if let id { text += "id: " + Self.oneLine(id).filter { $0 != "\0" } + "\n" }
        for line in Self.lines(data) { text += "data: " + line + "\n" }
        write(text + "\n")
    }

    /// Sends a comment line (`: text`): ignored by clients, keeps the connection busy.
    public func comment(_ text: String) {
        write(": " + Self.oneLine(text) + "\n\n")
    }

    /// Ends the stream (the client sees the connection close).
    public func close() {
        guard isOpen else { return }
        connection.close()
    }

    /// Starts the keep-alive timer; the control server calls it once the head is sent.
    func start() {
        let timer = DispatchSource.makeTimerSource(queue: connection.queue)
        let interval = Int(max(limits.keepAliveInterval, .milliseconds(10)))
        timer.schedule(deadline: .now() + .nanoseconds(interval), repeating: .nanoseconds(interval), leeway: .milliseconds(50))
        timer.setEventHandler { [weak self] in self?.keepAliveDue() }
        keepAlive = timer
        timer.resume()
    }

    /// The connection closed: stops the timer and tells the owner, once.
    func ended() {
        guard isOpen else { return }
        isOpen = false
        keepAlive?.cancel()
        keepAlive = nil
        let callback = onClose
        onClose = nil
        callback?()
    }

    private func keepAliveDue() {
        let quiet = SystemClock.monotonicNanoseconds() &- lastSentAt
        if quiet >= limits.keepAliveInterval &- .milliseconds(100) { comment("keep-alive") }
    }

    private func write(_ text: String) {
        guard isOpen else { return }
        if connection.pendingOutputBytes > limits.bufferedBytesMax { return connection.close() }
        lastSentAt = SystemClock.monotonicNanoseconds()
        connection.send(Array(text.utf8))
    }

    /// `text` without CR and LF.
    static func oneLine(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0 != "\r" && $0 != "\n" }.map(Character.init))
    }

    /// `text` split at CRLF, CR or LF (each line becomes one `data:` field).
    static func lines(_ text: String) -> [String] {
        text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }.map(String.init)
    }
}

/// Opens a stream in place of a body: what `HTTPResponse.eventStream(_:)` carries.
public final class EventStreamOpener: @unchecked Sendable {
    let open: (EventStream) -> Void
    /// This stream's keep-alive interval, when the route needs another than the server's (15 s).
    let keepAliveInterval: Nanoseconds?
    init(keepAliveInterval: Nanoseconds?, _ open: @escaping (EventStream) -> Void) {
        self.keepAliveInterval = keepAliveInterval; self.open = open
    }
}
