import Dispatch
import Glibc
import MeshCore

/// One non-blocking TCP connection, driven by Dispatch read and write sources on its owner's serial
/// queue, with an optional deadline.
///
/// Confined to `queue`: create it, call it and receive its callbacks there only. That confinement
/// is why it is `@unchecked Sendable`: Dispatch wants `@Sendable` handlers, and the compiler cannot
/// see that every handler runs on the one serial queue that owns the object.
final class Connection: @unchecked Sendable {
    /// How a connection ended.
    enum Ending: Equatable, CustomStringConvertible {
        /// The owner closed it (after its last bytes were written, if it asked for that).
        case finished
        /// The peer closed its side before the exchange was done.
        case peerClosed
        /// The deadline passed.
        case timedOut
        /// The peer sent more than `inputBytesMax`.
        case tooLarge
        /// A socket call failed (connection refused, reset, unreachable).
        case failed(SystemError)

        var description: String {
            switch self {
            case .finished: "finished"
            case .peerClosed: "closed by peer"
            case .timedOut: "timed out"
            case .tooLarge: "too much input"
            case .failed(let error): error.description
            }
        }
    }

    let fd: Int32
    let queue: DispatchQueue
    let peer: SocketEndpoint?
    let inputBytesMax: Int

    /// Bytes received and not yet consumed by the owner.
    private(set) var input = Bytes()
    /// True once the peer has finished sending.
    private(set) var isInputFinished = false
    /// Set once, when the connection closes.
    private(set) var ending: Ending?

    /// New input arrived or the input finished.
    var onInput: ((Connection) -> Void)?
    /// An outgoing connection is established.
    var onConnected: ((Connection) -> Void)?
    /// The connection closed (called once).
    var onClose: ((Connection, Ending) -> Void)?
    /// Everything queued has been written to the socket (a streamed body sends more).
    var onDrained: (() -> Void)?

    private var output = Bytes()
    private var outputOffset = 0
    private var closesWhenFlushed = false
    private var isConnecting: Bool
    private var readSource: DispatchSourceRead?
    private var writeSource: DispatchSourceWrite?
    /// The deadline; moving it costs no timer re-arm (`DeadlineTimer`).
    private lazy var deadline = DeadlineTimer(queue: queue) { [weak self] in self?.close(.timedOut) }
    private var hasDeadline = false
    /// Sources created and not yet through their cancel handler; the descriptor is closed when the
    /// connection has ended and this reaches zero (closing earlier would pull the fd out from under them).
    private var liveSources = 0
    private static let readChunkBytes = 16 * 1024
    /// The buffer reads land in; allocated on the first read.
    private lazy var chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: Connection.readChunkBytes, alignment: 8)
    private var hasChunk = false
    private static let readsPerEventMax = 16

    private init(fd: Int32, queue: DispatchQueue, peer: SocketEndpoint?, inputBytesMax: Int, isConnecting: Bool) {
        self.fd = fd
        self.queue = queue
        self.peer = peer
        self.inputBytesMax = inputBytesMax
        self.isConnecting = isConnecting
    }

    deinit {
        if hasChunk { chunk.deallocate() }
    }

    /// Wraps an accepted descriptor. Call `start()` after setting the callbacks.
    static func accepted(fd: Int32, peer: SocketEndpoint?, queue: DispatchQueue, inputBytesMax: Int) -> Connection {
        Connection(fd: fd, queue: queue, peer: peer, inputBytesMax: inputBytesMax, isConnecting: false)
    }

    /// Starts connecting to `destination` from `source`'s IP. Call `start()` after setting the callbacks.
    static func connecting(to destination: SocketEndpoint, from source: Address?, queue: DispatchQueue,
                           inputBytesMax: Int) throws(SystemError) -> Connection {
        let (fd, isConnected) = try Sockets.connect(to: destination, from: source)
        return Connection(fd: fd, queue: queue, peer: destination, inputBytesMax: inputBytesMax, isConnecting: !isConnected)
    }

    /// Starts watching the socket; closes it with `.timedOut` if still open after `timeout`.
    func start(timeout: Nanoseconds?) {
        dispatchPrecondition(condition: .onQueue(queue))
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler { [self] in readAvailable() }
        source.setCancelHandler { [self] in sourceCancelled() }
        liveSources += 1
        readSource = source
        source.resume()
        if let timeout { setDeadline(timeout) }
        if isConnecting {
            watchWritable()
        } else {
            onConnected?(self)
        }
    }

    /// Replaces the deadline: the connection closes with `.timedOut` if still open `timeout` from
    /// now (a keep-alive connection gets a fresh one for each request).
    func setDeadline(_ timeout: Nanoseconds) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard ending == nil else { return }
        hasDeadline = true
        deadline.set(SystemClock.monotonicNanoseconds() &+ max(0, timeout))
    }

    /// Removes the deadline: the connection stays open until closed (a link that carries streams;
    /// a Server-Sent Events stream, which has keep-alives and limits of its own instead).
    func clearDeadline() {
        dispatchPrecondition(condition: .onQueue(queue))
        if hasDeadline { deadline.set(nil) }
    }

    /// Bytes queued for the peer and not yet written (what a slow reader has left unread).
    var pendingOutputBytes: Int { output.count - outputOffset }

    /// Queues `bytes` for the peer; with `thenClose`, closes as `.finished` once everything is written.
    func send(_ bytes: Bytes, thenClose: Bool = false) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard ending == nil else { return }
        if outputOffset == output.count {
            output = bytes   // nothing waiting: take the bytes as they are (a streamed body's chunk is not copied again)
            outputOffset = 0
        } else {
            output.append(contentsOf: bytes)
        }
        closesWhenFlushed = closesWhenFlushed || thenClose
        if !isConnecting { flush() }
    }

    /// Queues `bytes` without sending them yet: `flushQueued()` sends everything queued in as few
    /// system calls as the kernel allows (a link gathers the frames of one core step this way).
    func enqueue(_ bytes: Bytes) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard ending == nil else { return }
        output.append(contentsOf: bytes)
    }

    /// Sends what `enqueue` queued (once connected; a connect under way sends it when it is done).
    func flushQueued() {
        dispatchPrecondition(condition: .onQueue(queue))
        guard ending == nil, !isConnecting, writeSource == nil, outputOffset < output.count else { return }
        flush()
    }

    /// Everything received so far, removed from `input`.
    func takeInput() -> Bytes {
        // Hands the buffer over instead of copying it (keeping its capacity would copy).
        var taken = Bytes()
        swap(&taken, &input)
        return taken
    }

    /// Drops the first `count` bytes of `input`.
    func consume(_ count: Int) {
        input.removeFirst(min(count, input.count))
    }

    /// Closes the connection (idempotent) and reports `ending` to `onClose`.
    func close(_ ending: Ending = .finished) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard self.ending == nil else { return }
        self.ending = ending
        if hasDeadline { deadline.cancel() }
        readSource?.cancel()
        readSource = nil
        writeSource?.cancel()
        writeSource = nil
        if liveSources == 0 { closeDescriptor(fd) }
        let callback = onClose
        onInput = nil
        onConnected = nil
        onClose = nil
        onDrained = nil
        callback?(self, ending)
    }

    // MARK: Events

    private func readAvailable() {
        guard ending == nil, !isInputFinished else { return }
        hasChunk = true
        var grew = false
        for _ in 0..<Connection.readsPerEventMax {
            let received: Int?
            do {
                received = try Sockets.receive(fd, into: chunk)
            } catch {
                close(.failed(error))
                return
            }
            guard let count = received else { break }
            if count == 0 {
                isInputFinished = true
                readSource?.cancel()
                readSource = nil
                break
            }
            input.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
            grew = true
            if input.count > inputBytesMax {
                close(.tooLarge)
                return
            }
            // A short read drained the socket: the source fires again when more comes, so asking
            // once more would only cost a system call that answers "nothing yet".
            if count < chunk.count { break }
        }
        if grew || isInputFinished { onInput?(self) }
        if isInputFinished && ending == nil && !closesWhenFlushed { close(.peerClosed) }
    }

    private func writable() {
        guard ending == nil else { return }
        if isConnecting {
            let pending = Sockets.pendingError(fd)
            guard pending == 0 else {
                close(.failed(SystemError(call: "connect", code: pending)))
                return
            }
            isConnecting = false
            onConnected?(self)
            guard ending == nil else { return }
        }
        flush()
    }

    private func flush() {
        while outputOffset < output.count {
            let sent: Int?
            do {
                let offset = outputOffset
                sent = try output.withUnsafeBytes { buffer in
                    try Sockets.send(fd, UnsafeRawBufferPointer(rebasing: buffer[offset...]))
                }
            } catch {
                close(.failed(error as? SystemError ?? SystemError(call: "send", code: EIO)))
                return
            }
            guard let count = sent else {
                watchWritable()
                return
            }
            outputOffset += count
        }
        output.removeAll(keepingCapacity: false)
        outputOffset = 0
        stopWatchingWritable()
        if closesWhenFlushed { return close(.finished) }
        onDrained?()
    }

    private func watchWritable() {
        guard writeSource == nil, ending == nil else { return }
        let source = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler { [self] in writable() }
        source.setCancelHandler { [self] in sourceCancelled() }
        liveSources += 1
        writeSource = source
        source.resume()
    }

    private func stopWatchingWritable() {
        writeSource?.cancel()
        writeSource = nil
    }

    private func sourceCancelled() {
        liveSources -= 1
        if liveSources == 0 && ending != nil { closeDescriptor(fd) }
    }
}
