import Glibc
import MeshCore

/// Turns `host:port` into IPv4 addresses: a dotted quad as is, a DNS name through `getaddrinfo`.
public enum Resolver {
    /// Why a `host:port` could not be turned into an address.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// Not of the form `host:port` with a port from 1 to 65535.
        case malformed(String)
        /// The name did not resolve (yet); `reason` is the resolver's text.
        case unresolved(String, reason: String)

        public var description: String {
            switch self {
            case .malformed(let text): "'\(text)' is not HOST:PORT"
            case .unresolved(let text, let reason): "cannot resolve '\(text)': \(reason)"
            }
        }
    }

    /// Splits `host:port`; checks the port.
    public static func split(_ text: String) throws(Failure) -> (host: String, port: UInt16) {
        guard let colon = text.lastIndex(of: ":") else { throw .malformed(text) }
        let host = String(text[..<colon])
        guard !host.isEmpty, let port = UInt16(text[text.index(after: colon)...]), port > 0 else { throw .malformed(text) }
        return (host, port)
    }

    /// The IPv4 addresses of `host:port`, in the resolver's order without repeats. Blocks while DNS answers.
    public static func resolve(_ text: String) throws(Failure) -> [Address] {
        let (host, port) = try split(text)
        if let ip = Address.parseIPv4(host) { return [Address(ipv4: ip, port: port)] }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let first = list else {
            throw .unresolved(text, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(first) }
        var addresses: [Address] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if entry.pointee.ai_family == AF_INET, let raw = entry.pointee.ai_addr {
                let ip = raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt32(bigEndian: $0.pointee.sin_addr.s_addr) }
                let address = Address(ipv4: ip, port: port)
                if !addresses.contains(address) { addresses.append(address) }
            }
            cursor = entry.pointee.ai_next
        }
        guard !addresses.isEmpty else { throw .unresolved(text, reason: "no IPv4 address") }
        return addresses
    }
}
