import Foundation
import Glibc

/// A blocking IPv4 TCP client made of plain Glibc calls, for sending what no well-behaved client
/// sends: foreign `Host` and `Origin` headers, a request one byte at a time, nothing at all.
public enum RawHTTP {
    /// Connects to `host:port`, with `timeoutSeconds` on connect, send and receive; nil on failure.
    public static func connect(_ host: String, _ port: Int, timeoutSeconds: Double = 2) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var timeout = timeval(tv_sec: Int(timeoutSeconds),
                              tv_usec: Int((timeoutSeconds - timeoutSeconds.rounded(.down)) * 1_000_000))
        let size = socklen_t(MemoryLayout<timeval>.size)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, size)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, size)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { close(fd); return nil }
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard status == 0 else { close(fd); return nil }
        return fd
    }

    /// Sends all of `bytes` (no SIGPIPE); false when the peer is gone or the send timed out.
    public static func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 && errno == EINTR { continue }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }

    /// Everything the peer sends until it closes, or until a receive times out.
    public static func receiveAll(_ fd: Int32) -> String {
        var response = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            response += buffer[0..<count]
        }
        return String(decoding: response, as: UTF8.self)
    }

    /// The status code of an HTTP response's first line.
    public static func status(of response: String) -> Int? {
        let parts = response.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1.") else { return nil }
        return Int(parts[1])
    }

    /// Sends `request` on a new connection and returns the response's status and text.
    public static func exchange(_ host: String, _ port: Int, _ request: String) -> (status: Int?, response: String) {
        guard let fd = connect(host, port) else { return (nil, "cannot connect") }
        defer { close(fd) }
        guard send(fd, Array(request.utf8)) else { return (nil, "cannot send") }
        let response = receiveAll(fd)
        return (status(of: response), response)
    }
}
