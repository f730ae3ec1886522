import Glibc
import MeshCore

/// The socket calls the runtime makes, each through `retryingInterrupts` so EINTR is retried and
/// errno becomes a `SystemError`. Every descriptor made here is non-blocking and close-on-exec;
/// "would block" comes back as nil, never as an error.
enum Sockets {
    private static let streamType = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
    private static let datagramType = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)

    /// A UDP socket bound to `address`. No SO_REUSEADDR: on Linux it would let a second node bind the
    /// same UDP port silently, and a taken port must be an error.
    static func datagramSocket(boundTo address: Address) throws(SystemError) -> Int32 {
        let fd = try retryingInterrupts("socket") { socket(AF_INET, datagramType, 0) }
        do throws(SystemError) {
            try bind(fd, to: .ipv4(address))
        } catch {
            closeDescriptor(fd)
            throw error
        }
        return fd
    }

    /// A listening TCP socket on `endpoint`, with SO_REUSEADDR so a restarted node binds again at once.
    static func listener(boundTo endpoint: SocketEndpoint, backlog: Int32 = 128) throws(SystemError) -> Int32 {
        let fd = try retryingInterrupts("socket") { socket(endpoint.family, streamType, 0) }
        do throws(SystemError) {
            try setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            if endpoint.family == AF_INET6 { try setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1) }
            try bind(fd, to: endpoint)
            _ = try retryingInterrupts("listen") { Glibc.listen(fd, backlog) }
        } catch {
            closeDescriptor(fd)
            throw error
        }
        return fd
    }

    /// Accepts one pending connection (non-blocking, close-on-exec); nil when none is waiting.
    static func accept(_ listener: Int32) throws(SystemError) -> (fd: Int32, peer: SocketEndpoint?)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        do throws(SystemError) {
            let fd = try withUnsafeMutablePointer(to: &storage) { pointer throws(SystemError) in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw throws(SystemError) in
                    try retryingInterrupts("accept") { Glibc.accept(listener, raw, &length) }
                }
            }
            // accept4 is hidden behind _GNU_SOURCE in Swift's Glibc module: set the flags after.
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            return (fd, SocketEndpoint(storage: storage))
        } catch where error.isWouldBlock || error.code == ECONNABORTED {
            return nil
        }
    }

    /// Starts a TCP connection to `destination`, first binding to `source`'s IP (port chosen by the
    /// kernel) so peers and per-address rules see this node's own address (ARCHITECTURE §11).
    /// Returns the descriptor and whether the connection is already established.
    static func connect(to destination: SocketEndpoint, from source: Address?) throws(SystemError) -> (fd: Int32, isConnected: Bool) {
        let fd = try retryingInterrupts("socket") { socket(destination.family, streamType, 0) }
        do throws(SystemError) {
            if let source, !source.isUnspecified, destination.family == AF_INET {
                try bind(fd, to: .ipv4(Address(ipv4: source.ipv4, port: 0)))
            }
            let started = try destination.withSocketAddress { address, length throws(SystemError) in
                do throws(SystemError) {
                    _ = try retryingInterrupts("connect") { Glibc.connect(fd, address, length) }
                    return true
                } catch where error.code == EINPROGRESS {
                    return false
                }
            }
            return (fd, started)
        } catch {
            closeDescriptor(fd)
            throw error
        }
    }

    /// The pending error of a connecting socket (SO_ERROR); 0 once connected.
    static func pendingError(_ fd: Int32) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length) == 0 else { return errno }
        return value
    }

    /// Writes what the socket takes now, without SIGPIPE; nil when it takes nothing.
    static func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemError) -> Int? {
        guard bytes.count > 0 else { return 0 }
        do throws(SystemError) {
            return try retryingInterrupts("send") { Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) }
        } catch where error.isWouldBlock {
            return nil
        }
    }

    /// Reads what is there: a count (0 at end of stream), or nil when nothing is waiting.
    static func receive(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int? {
        do throws(SystemError) {
            return try retryingInterrupts("recv") { Glibc.recv(fd, buffer.baseAddress, buffer.count, 0) }
        } catch where error.isWouldBlock {
            return nil
        }
    }

    /// Sends one datagram; false when the socket buffer is full (the datagram is dropped).
    static func sendDatagram(_ fd: Int32, _ bytes: Bytes, to destination: Address) throws(SystemError) -> Bool {
        var storage = destination.socketAddress
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        do throws(SystemError) {
            _ = try retryingInterrupts("sendto") {
                bytes.withUnsafeBytes { buffer in
                    withUnsafePointer(to: &storage) { pointer in
                        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                            sendto(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), raw, length)
                        }
                    }
                }
            }
            return true
        } catch where error.isWouldBlock {
            return false
        }
    }

    /// Receives one datagram into `buffer`: its length and sender, or nil when none is waiting.
    /// A datagram longer than the buffer comes back with the buffer's length plus one, so the caller
    /// can see it was too long.
    static func receiveDatagram(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> (count: Int, sender: Address)? {
        var storage = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        do throws(SystemError) {
            let count = try withUnsafeMutablePointer(to: &storage) { pointer throws(SystemError) in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw throws(SystemError) in
                    try retryingInterrupts("recvfrom") {
                        recvfrom(fd, buffer.baseAddress, buffer.count, Int32(MSG_TRUNC), raw, &length)
                    }
                }
            }
            return (min(count, buffer.count + 1), Address(socketAddress: storage))
        } catch where error.isWouldBlock {
            return nil
        }
    }

    /// The address a socket is bound to (for a listener bound to port 0, the port the kernel chose).
    static func localEndpoint(_ fd: Int32) -> SocketEndpoint? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return status == 0 ? SocketEndpoint(storage: storage) : nil
    }

    private static func bind(_ fd: Int32, to endpoint: SocketEndpoint) throws(SystemError) {
        _ = try endpoint.withSocketAddress { address, length throws(SystemError) in
            try retryingInterrupts("bind") { Glibc.bind(fd, address, length) }
        }
    }

    /// Turns off Nagle's algorithm: a kept-open connection carrying many small request/reply
    /// exchanges must not hold a reply back until the previous segment is acknowledged (a delayed
    /// ACK costs 40 ms). Best effort: a failure leaves the connection slower, not wrong.
    static func setNoDelay(_ fd: Int32) {
        try? setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
    }

    private static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) throws(SystemError) {
        var value = value
        _ = try retryingInterrupts("setsockopt") {
            setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
        }
    }
}
