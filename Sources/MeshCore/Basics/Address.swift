/// An IPv4 address and port: where a member receives datagrams (UDP) and streams (TCP).
///
/// Names are resolved by the shell; the core only ever sees numeric addresses.
public struct Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The address in host order: 127.0.0.1 is 0x7F00_0001.
    public var ipv4: UInt32
    public var port: UInt16

    public init(ipv4: UInt32, port: UInt16) {
        self.ipv4 = ipv4
        self.port = port
    }

    /// Dotted quad and port, for example `Address(10, 0, 0, 1, port: 7946)`.
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, port: UInt16) {
        self.ipv4 = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
        self.port = port
    }

    /// Parses `a.b.c.d:port`; nil for anything else (host names are the shell's job).
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        guard let host = Address.parseIPv4(String(text[..<colon])),
              let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        self.init(ipv4: host, port: port)
    }

    /// Parses a dotted quad; nil for anything else.
    public static func parseIPv4(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let octet = UInt8(part) else { return nil }
            value = value << 8 | UInt32(octet)
        }
        return value
    }

    public var host: String {
        "\(ipv4 >> 24).\(ipv4 >> 16 & 0xFF).\(ipv4 >> 8 & 0xFF).\(ipv4 & 0xFF)"
    }

    /// True for 127.0.0.0/8.
    public var isLoopback: Bool { ipv4 >> 24 == 127 }

    public var description: String { "\(host):\(port)" }

    public static func < (lhs: Address, rhs: Address) -> Bool {
        (lhs.ipv4, lhs.port) < (rhs.ipv4, rhs.port)
    }
}
