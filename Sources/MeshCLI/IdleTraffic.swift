import MeshCore
import MeshRuntime

/// What a set of nodes sent, by their own count, with the IP, UDP and TCP headers the kernel adds
/// (what the loopback interface would count for them alone). Counting this way, rather than
/// reading the loopback interface's counters, keeps every other process's traffic on the machine
/// out of the figure: a flood beside the bench neither inflates nor deflates it.
struct IdleTraffic: Equatable {
    /// IPv4 (20 bytes) and UDP (8 bytes) headers of one datagram.
    static let datagramHeaderBytes: UInt64 = 28
    /// Headers of one short TCP exchange, both directions: the handshake, a data segment and its
    /// ACK each way, and the close, about 10 segments of 52–60 bytes (IPv4, TCP with timestamps).
    /// Measured for a Serf push-pull with iptables counters: 536 bytes per connection.
    static let streamHeaderBytes: UInt64 = 536

    var datagrams: UInt64 = 0
    var datagramPayloadBytes: UInt64 = 0
    var streams: UInt64 = 0
    var streamPayloadBytes: UInt64 = 0

    /// Everything sent, headers included.
    var bytes: UInt64 {
        datagramPayloadBytes &+ datagrams &* Self.datagramHeaderBytes
            &+ streamPayloadBytes &+ streams &* Self.streamHeaderBytes
    }

    /// The mesh nodes' own counters (`/v1/health`), added up; nil when a node does not answer.
    static func mesh(_ reports: [HealthReport?]) -> IdleTraffic? {
        var total = IdleTraffic()
        for report in reports {
            guard let counters = report?.counters else { return nil }
            total.datagrams &+= counters["datagramsSent"] ?? 0
            total.datagramPayloadBytes &+= counters["datagramBytesSent"] ?? 0
            total.streams &+= counters["streamsOpened"] ?? 0
            total.streamPayloadBytes &+= counters["streamBytesSent"] ?? 0
        }
        return total
    }
}
