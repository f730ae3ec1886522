import Foundation
import Glibc

/// Serf's own traffic counters, from its telemetry: every agent is started with
/// `statsite_addr` pointing here, and memberlist reports each datagram it sends
/// (`memberlist.udp.sent:BYTES|c`), each stream message (`memberlist.tcp.sent`) and each
/// connection it opens (`memberlist.tcp.connect`) as one line over TCP. The sink listens on a
/// loopback port of its own and adds them up; lines it does not need are read and ignored.
/// Checked against iptables counters in a network namespace: the datagram count and bytes match exactly.
final class SerfMetricsSink: @unchecked Sendable {
    /// Longest line kept while waiting for its end; a longer one is dropped.
    static let lineBytesMax = 4096

    let port: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var totals = IdleTraffic()
    private var isStopped = false

    /// Listens on 127.0.0.1 on a port the kernel picks.
    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard listener >= 0 else { throw SinkError(description: "socket: \(String(cString: strerror(errno)))") }
        self.listener = listener
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic -> Bool in
                Glibc.bind(listener, generic, length) == 0 && listen(listener, 64) == 0
                    && getsockname(listener, generic, &length) == 0
            }
        }
        guard bound else {
            close(listener)
            throw SinkError(description: "cannot listen for Serf's metrics: \(String(cString: strerror(errno)))")
        }
        port = UInt16(bigEndian: address.sin_port)
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    struct SinkError: Error, CustomStringConvertible { var description: String }

    /// `127.0.0.1:PORT`, for the agents' `statsite_addr`.
    var address: String { "127.0.0.1:\(port)" }

    /// What every agent reported so far.
    var traffic: IdleTraffic {
        lock.lock()
        defer { lock.unlock() }
        return totals
    }

    /// Stops accepting; connections end when their agents exit.
    func stop() {
        lock.lock()
        isStopped = true
        lock.unlock()
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private func acceptLoop() {
        defer { close(listener) }
        while true {
            let client = accept(listener, nil, nil)
            lock.lock()
            let stopped = isStopped
            lock.unlock()
            if stopped { if client >= 0 { close(client) }; return }
            guard client >= 0 else {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return
            }
            Thread.detachNewThread { [self] in read(client) }
        }
    }

    private func read(_ client: Int32) {
        defer { close(client) }
        var pending = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = recv(client, &buffer, buffer.count, 0)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return }
            pending.append(contentsOf: buffer[0..<count])
            while let end = pending.firstIndex(of: 10) {
                add(line: String(decoding: pending[..<end], as: UTF8.self))
                pending.removeSubrange(...end)
            }
            if pending.count > Self.lineBytesMax { pending.removeAll() }
        }
    }

    /// Counts one statsite line, `NAME:VALUE|c`.
    func add(line: String) {
        guard let colon = line.lastIndex(of: ":"), let bar = line.lastIndex(of: "|"), colon < bar,
              line[line.index(after: bar)...] == "c", let value = Double(line[line.index(after: colon)..<bar]),
              value >= 0, value < 1e12 else { return }
        let name = line[..<colon]
        let amount = UInt64(value)
        lock.lock()
        defer { lock.unlock() }
        if name.hasSuffix("memberlist.udp.sent") {
            totals.datagrams &+= 1
            totals.datagramPayloadBytes &+= amount
        } else if name.hasSuffix("memberlist.tcp.sent") {
            totals.streamPayloadBytes &+= amount
        } else if name.hasSuffix("memberlist.tcp.connect") {
            totals.streams &+= amount
        }
    }
}
