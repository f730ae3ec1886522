import Glibc
import MeshCore

/// Somewhere a socket binds or connects: an IPv4 address and port (every mesh address), or an IPv6
/// address and port (so the control API can listen on `[::1]`).
public enum SocketEndpoint: Hashable, Sendable, CustomStringConvertible {
    case ipv4(Address)
    case ipv6(address: [UInt8], port: UInt16)

    /// Parses `a.b.c.d:port`, `[v6]:port` or `localhost:port` (as 127.0.0.1); nil for anything else.
    public init?(parsing text: String) {
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":"), let port = UInt16(rest.dropFirst()) else { return nil }
            var raw = in6_addr()
            guard inet_pton(AF_INET6, host, &raw) == 1 else { return nil }
            let bytes = withUnsafeBytes(of: &raw) { Array($0) }
            self = .ipv6(address: bytes, port: port)
            return
        }
        if text.hasPrefix("localhost:"), let port = UInt16(text.dropFirst("localhost:".count)) {
            self = .ipv4(Address(127, 0, 0, 1, port: port))
            return
        }
        guard let address = Address(parsing: text) else { return nil }
        self = .ipv4(address)
    }

    /// The port.
    public var port: UInt16 {
        switch self {
        case .ipv4(let address): address.port
        case .ipv6(_, let port): port
        }
    }

    /// True for 127.0.0.0/8 and ::1: only such an address may serve the control API without a token.
    public var isLoopback: Bool {
        switch self {
        case .ipv4(let address): address.isLoopback
        case .ipv6(let address, _): address == Array(repeating: 0, count: 15) + [1]
        }
    }

    public var description: String {
        switch self {
        case .ipv4(let address):
            return address.description
        case .ipv6(let address, let port):
            var raw = in6_addr()
            withUnsafeMutableBytes(of: &raw) { $0.copyBytes(from: address) }
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count))
            let host = text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            return "[\(host)]:\(port)"
        }
    }

    /// The address family, for `socket(2)`.
    var family: Int32 {
        switch self {
        case .ipv4: AF_INET
        case .ipv6: AF_INET6
        }
    }

    /// Calls `body` with this endpoint as a `sockaddr`.
    func withSocketAddress<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws(SystemError) -> Result) throws(SystemError) -> Result {
        switch self {
        case .ipv4(let address):
            var storage = address.socketAddress
            return try withUnsafePointer(to: &storage) { pointer throws(SystemError) in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw throws(SystemError) in
                    try body(raw, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .ipv6(let bytes, let port):
            var storage = sockaddr_in6()
            storage.sin6_family = sa_family_t(AF_INET6)
            storage.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &storage.sin6_addr) { $0.copyBytes(from: bytes) }
            return try withUnsafePointer(to: &storage) { pointer throws(SystemError) in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw throws(SystemError) in
                    try body(raw, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }

    /// The endpoint in a `sockaddr_storage` filled by the kernel; nil for other families.
    init?(storage: sockaddr_storage) {
        var copy = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            let address = withUnsafePointer(to: &copy) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Address(socketAddress: $0.pointee) }
            }
            self = .ipv4(address)
        case AF_INET6:
            let (bytes, port) = withUnsafePointer(to: &copy) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                    (withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }, UInt16(bigEndian: pointer.pointee.sin6_port))
                }
            }
            self = .ipv6(address: bytes, port: port)
        default:
            return nil
        }
    }
}

extension Address {
    /// This address as a `sockaddr_in` (network byte order).
    var socketAddress: sockaddr_in {
        var storage = sockaddr_in()
        storage.sin_family = sa_family_t(AF_INET)
        storage.sin_port = port.bigEndian
        storage.sin_addr = in_addr(s_addr: ipv4.bigEndian)
        return storage
    }

    /// The address in a `sockaddr_in` (network byte order).
    init(socketAddress storage: sockaddr_in) {
        self.init(ipv4: UInt32(bigEndian: storage.sin_addr.s_addr), port: UInt16(bigEndian: storage.sin_port))
    }

    /// True for 0.0.0.0: bound to every interface.
    var isUnspecified: Bool { ipv4 == 0 }
}
