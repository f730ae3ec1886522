import Testing
@testable import MeshCore
@testable import MeshSimulator

/// The simulated stream model: connect time, bandwidth, partitions that stall a stream until the
/// core's deadline ends it, and crashes that reset it. The cores at both ends are the real ones.
@Suite struct StreamModelTests {
    static func scenario(bandwidthMbps: Double) -> String {
        """
        {"nodes": 3, "start": "converged", "durationSeconds": 30, "convergenceBoundSeconds": 5,
         "link": {"delayMs": 1, "jitterMs": 0, "bandwidthMbps": \(bandwidthMbps), "connectMs": 0.5}}
        """
    }

    static func run(_ sim: Simulation, until: Int64) {
        while let next = sim.queue.nextTime, next <= until, let event = sim.queue.pop() {
            sim.now = event.time
            sim.process(event.kind)
        }
    }

    /// Node 0 opens a stream to node 1 and writes `bytes` on it; returns the connection id.
    static func openAndWrite(_ sim: Simulation, bytes: Int) -> Int {
        let stream = StreamID(9_999)
        sim.apply(0, [.openStream(stream, to: sim.nodes[1].address), .writeStream(stream, Bytes(repeating: 1, count: bytes))])
        return sim.nextConnection
    }

    @Test(arguments: [(1.0, 1.0), (1_000.0, 0.001)])
    func aBigTransferTakesAsLongAsTheBandwidthSays(bandwidthMbps: Double, seconds: Double) throws {
        let sim = Simulation(scenario: try Scenario.parse(Self.scenario(bandwidthMbps: bandwidthMbps), name: "streams"))
        sim.startNodes()
        let start = sim.now
        let id = Self.openAndWrite(sim, bytes: 125_000)
        // Connect: one round trip (2 ms) plus 0.5 ms; then the bytes are on the wire.
        Self.run(sim, until: start + 2_600_000)
        let connection = try #require(sim.connections[id])
        #expect(connection.server != nil, "accepted after the connect time")
        let serialization = Double(connection.freeToServerAt - start - 2_500_000) / 1e9
        #expect(abs(serialization - seconds) < 0.0001, "\(serialization) s on the wire")
        #expect(connection.lastArrivalToServerAt == connection.freeToServerAt + 1_000_000, "then one link delay")
    }

    @Test func aPartitionStallsAStreamUntilTheDeadlineClosesIt() throws {
        let sim = Simulation(scenario: try Scenario.parse(Self.scenario(bandwidthMbps: 1_000), name: "streams"))
        sim.startNodes()
        sim.perform(.partition([[0], [1, 2]], oneWay: false))
        let before = sim.nodes[0].instance!.streamStats.timedOut
        var opened = false
        for _ in 0..<50 where !opened {
            // Node 0's next push-pull (within 30 s) opens a stream across the partition.
            opened = sim.nodes[0].instance!.streamsOpen > 0
            if !opened { Self.run(sim, until: sim.now + .seconds(1)) }
        }
        let timeout = sim.scenario.settings.streamTimeout
        Self.run(sim, until: sim.now + timeout + .milliseconds(10))
        #expect(sim.nodes[0].instance!.streamStats.timedOut > before)
    }

    @Test func aCrashResetsTheStreamAndTheOtherEndHearsItOneDelayLater() throws {
        let sim = Simulation(scenario: try Scenario.parse(Self.scenario(bandwidthMbps: 1_000), name: "streams"))
        sim.startNodes()
        _ = Self.openAndWrite(sim, bytes: 10)
        Self.run(sim, until: sim.now + .milliseconds(3))
        #expect(sim.nodes[1].instance!.streamsOpen == 1, "node 1 accepted and waits for a valid hello")
        let failedBefore = sim.nodes[1].instance!.streamStats.failed
        sim.perform(.crash(0))
        Self.run(sim, until: sim.now + .milliseconds(2))
        #expect(sim.nodes[1].instance!.streamsOpen == 0)
        #expect(sim.nodes[1].instance!.streamStats.failed == failedBefore + 1)
    }
}
