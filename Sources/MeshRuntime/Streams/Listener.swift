import Dispatch
import Glibc

/// A listening TCP socket watched by a Dispatch read source. Each readiness event accepts up to
/// `batch` pending connections and hands each to `onAccept`. When accepting fails (out of
/// descriptors, say), it pauses for `pause` instead of spinning on a socket that stays readable.
/// Confined to `queue`.
final class Listener: @unchecked Sendable {
    let fd: Int32
    private let queue: DispatchQueue
    private let batch: Int
    private let pause: DispatchTimeInterval
    private let onAccept: (Int32, SocketEndpoint?) -> Void
    private var source: DispatchSourceRead?
    private var isPaused = false

    init(fd: Int32, queue: DispatchQueue, batch: Int = 32, pause: DispatchTimeInterval = .milliseconds(100),
         onAccept: @escaping (Int32, SocketEndpoint?) -> Void) {
        self.fd = fd
        self.queue = queue
        self.batch = batch
        self.pause = pause
        self.onAccept = onAccept
    }

    func start() {
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler { [self] in acceptPending() }
        let fd = self.fd
        source.setCancelHandler { closeDescriptor(fd) }
        self.source = source
        source.resume()
    }

    /// Stops accepting and closes the socket.
    func stop() {
        guard let source else { return }
        self.source = nil
        if isPaused {
            isPaused = false
            source.resume()   // a suspended source never runs its cancel handler
        }
        source.cancel()
    }

    private func acceptPending() {
        for _ in 0..<batch {
            let accepted: (fd: Int32, peer: SocketEndpoint?)?
            do {
                accepted = try Sockets.accept(fd)
            } catch {
                pauseAccepting()
                return
            }
            guard let (clientFD, peer) = accepted else { return }
            onAccept(clientFD, peer)
        }
    }

    private func pauseAccepting() {
        guard let source, !isPaused else { return }
        isPaused = true
        source.suspend()
        queue.asyncAfter(deadline: .now() + pause) { [self] in
            guard isPaused, let source = self.source else { return }
            isPaused = false
            source.resume()
        }
    }
}
