import Dispatch
import Glibc
import MeshCore

/// Sorting accepted connections: a data stream (its first byte is `DataStream.marker`) goes to
/// the data plane, anything else to the core as before. The first byte is peeked, never read, so
/// the core's decoder sees a core stream whole. A connection that sends nothing within
/// `sortTimeout` is closed; at most `sortingMax` wait to be sorted at once.
extension StreamTransport {
    /// How long an accepted connection may take to send its first byte.
    static let sortTimeout: DispatchTimeInterval = .seconds(5)
    /// Accepted connections waiting for their first byte at once; past it a newcomer is closed.
    static let sortingMax = 64

    /// Peeks at the first byte of an accepted connection and routes it; `admit` takes a core stream.
    func sort(_ fd: Int32, peer: SocketEndpoint?, admit: @escaping (Int32, SocketEndpoint?) -> Void) {
        guard let handoff = dataHandoff else { return admit(fd, peer) }
        var byte: UInt8 = 0
        let count = recv(fd, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT))
        if count == 1 {
            return byte == DataStream.marker ? handoff(fd, peer?.description ?? "?") : admit(fd, peer)
        }
        if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) { return closeDescriptor(fd) }
        guard sorting < Self.sortingMax else { return closeDescriptor(fd) }
        sorting += 1
        let pending = PendingSort(source: DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue))
        pending.source.setEventHandler { pending.source.cancel() }
        pending.source.setCancelHandler { [self] in
            sorting -= 1
            pending.isDone = true
            if pending.isTimedOut { return closeDescriptor(fd) }
            sort(fd, peer: peer, admit: admit)
        }
        queue.asyncAfter(deadline: .now() + Self.sortTimeout) {
            guard !pending.isDone else { return }
            pending.isTimedOut = true
            pending.source.cancel()
        }
        pending.source.resume()
    }
}

/// One connection waiting for its first byte; touched only on the transport's queue.
private final class PendingSort: @unchecked Sendable {
    let source: DispatchSourceRead
    var isDone = false
    var isTimedOut = false
    init(source: DispatchSourceRead) { self.source = source }
}
