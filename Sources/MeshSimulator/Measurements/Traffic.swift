import MeshCore

/// What the mesh costs the network: datagrams and stream bytes per node and second, the largest
/// datagram, and datagrams by the kind of their first message.
final class Traffic: Measurement {
    /// IPv4 and UDP headers counted for each datagram.
    static let ipUDPHeaderBytes = 28
    /// TCP handshake, teardown and headers counted for each stream.
    static let tcpStreamOverheadBytes = 400
    /// Wire tags counted one by one; higher tags share the last slot.
    static let kindSlots = 16

    private var datagrams = 0
    private var datagramBytes = 0
    private var streams = 0
    private var streamBytes = 0
    private var maxDatagramBytes = 0
    private var datagramsByKind = Array(repeating: 0, count: Traffic.kindSlots)

    func datagramSent(_ bytes: Bytes, node: Int, world: Simulation) {
        datagrams += 1
        datagramBytes += bytes.count
        maxDatagramBytes = max(maxDatagramBytes, bytes.count)
        let overhead = world.datagramOverheadBytes
        if bytes.count > overhead { datagramsByKind[Int(min(bytes[overhead], UInt8(Traffic.kindSlots - 1)))] += 1 }
    }

    func streamOpened(node: Int, world: Simulation) { streams += 1 }

    func streamBytesSent(_ count: Int, node: Int, world: Simulation) { streamBytes += count }

    func report(into report: inout SimulationReport, world: Simulation) {
        let perNodeSecond = 1 / (Double(world.scenario.nodes) * max(Double(world.now) / 1e9, 1e-9))
        report.maxDatagramBytes = maxDatagramBytes
        report.bytesPerNodePerSecond = Double(datagramBytes + datagrams * Traffic.ipUDPHeaderBytes
                                              + streamBytes + streams * Traffic.tcpStreamOverheadBytes) * perNodeSecond
        report.payloadBytesPerNodePerSecond = Double(datagramBytes + streamBytes) * perNodeSecond
        report.datagramsPerNodePerSecond = Double(datagrams) * perNodeSecond
        report.streamsPerNodePerSecond = Double(streams) * perNodeSecond
        report.datagramsByKind = datagramsByKind.indices.compactMap { i in
            datagramsByKind[i] > 0 ? (Message.Kind(rawValue: UInt8(i)).map { "\($0)" } ?? "kind\(i)", datagramsByKind[i]) : nil
        }
    }
}
