import Dispatch
import Foundation
import MeshCore

/// A response body written as it is produced (`Transfer-Encoding: chunked`): a followed log, an
/// artifact proxied from another member. A producer thread calls `write` and, at the end, `finish`
/// (or `abort`, which cuts the response short so the client sees it incomplete). `write` blocks
/// while `backlogBytesMax` bytes wait to be sent, so a slow client slows the producer instead of
/// filling memory, and returns false once the client has gone.
public final class HTTPBodyStream: @unchecked Sendable {
    /// Bytes queued for the client before `write` waits.
    public static let backlogBytesMax = 4 << 20

    private let condition = NSCondition()
    private var backlog = 0
    private var isClosed = false
    private var queue: DispatchQueue?
    /// Touched on `queue` only.
    private var connection: Connection?

    /// False for a body of a known `Content-Length`, sent as is (the head must carry the length).
    public let isChunked: Bool

    /// A body not yet attached to a connection (writes wait until it is).
    public init(chunked: Bool = true) { isChunked = chunked }

    /// The control server hands over the connection, its head already sent. On `queue`.
    func attach(_ connection: Connection, queue: DispatchQueue) {
        self.connection = connection
        connection.onDrained = { [self] in
            condition.lock(); backlog = 0; condition.broadcast(); condition.unlock()
        }
        condition.lock(); self.queue = queue; condition.broadcast(); condition.unlock()
    }

    /// The connection closed (the client went away, or the body ended).
    func closed() {
        condition.lock(); isClosed = true; condition.broadcast(); condition.unlock()
    }

    /// True once the client has gone (or the body ended).
    public var isGone: Bool { condition.lock(); defer { condition.unlock() }; return isClosed }

    /// Sends `bytes` as one chunk (nothing for an empty one); false when the client has gone.
    @discardableResult
    public func write(_ bytes: Bytes) -> Bool {
        guard !bytes.isEmpty else { return !isGone }
        guard let queue = waitForRoom(bytes.count) else { return false }
        var framed = bytes
        if isChunked {
            framed = Array((String(bytes.count, radix: 16) + "\r\n").utf8)
            framed.reserveCapacity(framed.count + bytes.count + 2)
            framed += bytes
            framed += [13, 10]
        }
        let chunk = framed
        queue.async { [self] in connection?.send(chunk) }
        return true
    }

    /// Ends the body properly (the last chunk) and closes the connection.
    public func finish() {
        guard let queue = waitForRoom(0) else { return }
        let last: Bytes = isChunked ? Array("0\r\n\r\n".utf8) : []
        queue.async { [self] in connection?.send(last, thenClose: true) }
    }

    /// Cuts the response short: the client sees a body without its last chunk.
    public func abort() {
        guard let queue = waitForRoom(0) else { return }
        queue.async { [self] in connection?.close() }
    }

    private func waitForRoom(_ count: Int) -> DispatchQueue? {
        condition.lock()
        defer { condition.unlock() }
        while !isClosed && (queue == nil || backlog > Self.backlogBytesMax) { condition.wait() }
        guard !isClosed, let queue else { return nil }
        backlog += count
        return queue
    }
}

/// A control API responder that other threads may call: the answer is handed over on the
/// server's queue (the only place a responder may run).
public final class QueuedResponder: @unchecked Sendable {
    private let queue: DispatchQueue
    private let respond: (HTTPResponse) -> Void

    /// Wraps `respond`, which must run on `queue`.
    public init(queue: DispatchQueue, _ respond: @escaping (HTTPResponse) -> Void) {
        self.queue = queue; self.respond = respond
    }

    /// Answers (once: the server ignores later calls).
    public func callAsFunction(_ response: HTTPResponse) {
        queue.async { [self] in respond(response) }
    }
}
