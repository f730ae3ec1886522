@testable import MeshCLI
import MeshRuntime
import Testing

@Suite("Idle traffic is each system's own count, headers added")
struct IdleTrafficTests {
    @Test("the mesh: datagrams and streams from /v1/health, with 28 bytes per datagram and the TCP headers per stream")
    func meshCounters() {
        func report(_ counters: [String: UInt64]) -> HealthReport {
            HealthReport(selfName: "a", incarnation: 1, uptimeSeconds: 1, healthScore: 0, hasJoined: true, isLeaving: false,
                         members: [:], drops: [:], datagramDrops: [:], streamDrops: [:], counters: counters)
        }
        let one = report(["datagramsSent": 10, "datagramBytesSent": 1_000, "streamsOpened": 1, "streamBytesSent": 300])
        let two = report(["datagramsSent": 5, "datagramBytesSent": 500])
        let total = IdleTraffic.mesh([one, two])
        #expect(total?.bytes == 1_500 + 15 * 28 + 300 + IdleTraffic.streamHeaderBytes)
        #expect(IdleTraffic.mesh([one, nil]) == nil, "a node that does not answer makes the figure unknown, not smaller")
    }

    @Test("Serf: memberlist's own counters from its statsite lines; other lines and garbage are ignored")
    func serfLines() throws {
        let sink = try SerfMetricsSink()
        defer { sink.stop() }
        for line in ["serf-agent.memberlist.udp.sent:150.000000|c", "serf-agent.memberlist.udp.sent:61.000000|c",
                     "serf-agent.memberlist.tcp.connect:1.000000|c", "serf-agent.memberlist.tcp.sent:216.000000|c",
                     "serf-agent.memberlist.gossip:0.02|ms", "serf-agent.memberlist.udp.sent:-5|c",
                     "serf-agent.memberlist.udp.sent:1e99|c", "garbage", "serf-agent.memberlist.udp.sent:7|g"] {
            sink.add(line: line)
        }
        #expect(sink.traffic == IdleTraffic(datagrams: 2, datagramPayloadBytes: 211, streams: 1, streamPayloadBytes: 216))
        #expect(sink.traffic.bytes == 211 + 2 * 28 + 216 + IdleTraffic.streamHeaderBytes)
    }
}
