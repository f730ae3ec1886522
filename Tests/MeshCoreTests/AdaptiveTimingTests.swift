import Testing
@testable import MeshCore

/// The adaptive detector's math (RFC 6298 estimator, bounded timeouts) and its use by a node.
@Suite struct AdaptiveTimingTests {
    static let ms: Nanoseconds = 1_000_000

    @Test func theFirstSampleSetsSRTTAndHalfOfItAsRTTVAR() {
        let e = RoundTripEstimate(firstSample: 200 * Self.ms)
        #expect(e.smoothed == 200 * Self.ms && e.variation == 100 * Self.ms && e.samples == 1)
        #expect(e.upperBound(deviations: 4) == 600 * Self.ms)
    }

    @Test(arguments: [
        // (samples in ms, SRTT ms, RTTVAR ms) by RFC 6298 §2.3 with α = 1/8, β = 1/4.
        ([100, 100], 100.0, 37.5),
        ([100, 300], 125.0, 87.5),
        ([100, 100, 100, 100], 100.0, 50.0 * 27 / 64),
    ])
    func laterSamplesFollowRFC6298(_ samples: [Int64], _ srtt: Double, _ rttvar: Double) {
        var e = RoundTripEstimate(firstSample: samples[0] * Self.ms)
        for s in samples.dropFirst() { e.add(s * Self.ms) }
        #expect(abs(Double(e.smoothed) / 1e6 - srtt) < 0.001)
        #expect(abs(Double(e.variation) / 1e6 - rttvar) < 0.001)
    }

    @Test func absurdSamplesAreCappedAndNegativeOnesCountAsZero() {
        var e = RoundTripEstimate(firstSample: .max)
        #expect(e.smoothed == RoundTripEstimate.sampleMax)
        e.add(-5)
        #expect(e.smoothed >= 0 && e.variation >= 0)
        for _ in 0..<1_000 { e.add(.max) }
        #expect(e.smoothed <= RoundTripEstimate.sampleMax && e.variation <= RoundTripEstimate.sampleMax)
    }

    @Test(arguments: [
        // (SRTT ms or nil, slowest SRTT ms or nil, expected timeout ms)
        (Int64?(1), Int64?(1), 200.0),          // a LAN: the floor
        (Int64?(240), Int64?(240), 720.0),      // a first WAN sample: 240 + 4 · 120
        (Int64?(20_000), Int64?(20_000), 3_000.0),  // absurd: the ceiling
        (Int64?.none, Int64?(300), 600.0),      // unmeasured member: twice the slowest SRTT
        (Int64?.none, Int64?.none, 1_000.0),    // nothing measured yet: the seed
    ])
    func probeTimeoutsAreBoundedAndSeeded(_ srtt: Int64?, _ slowest: Int64?, _ expected: Double) {
        let timing = AdaptiveTiming()
        let estimate = srtt.map { RoundTripEstimate(firstSample: $0 * Self.ms) }
        let timeout = timing.probeTimeout(estimate, slowestSmoothed: slowest.map { $0 * Self.ms })
        #expect(Double(timeout) / 1e6 == expected)
    }

    @Test func theSlowLinkTermOfSuspicionGrowsWithTheSlowestLinkUpToItsBound() {
        let timing = AdaptiveTiming()
        #expect(timing.suspicionSlowLinks(slowestSmoothed: nil) == 0)
        #expect(timing.suspicionSlowLinks(slowestSmoothed: 300 * Self.ms) == 600 * Self.ms)
        #expect(timing.suspicionSlowLinks(slowestSmoothed: .max) == timing.suspicionSlowLinksMax)
    }

    @Test func theSlowestTableFollowsSamplesAndForgetsRemovedMembers() {
        var members = MemberTable()
        for (i, name) in ["a", "b"].enumerated() {
            members.insert(Member(name: name, address: Address(10, 0, 0, UInt8(i + 1), port: 1), incarnation: 1,
                                  status: .alive, meta: [], statusChangedAt: .zero))
        }
        var table = RoundTripTable()
        table.add(100 * Self.ms, for: "a")
        table.add(300 * Self.ms, for: "b")
        #expect(table.slowestSmoothed(over: members) == 300 * Self.ms)
        table.remove("b")
        members.remove("b")
        #expect(table.slowestSmoothed(over: members) == 100 * Self.ms)
        #expect(table.count == 1)
    }

    @Test func presetsKeepTheirFixedTimingsAndTheDefaultAdapts() {
        #expect(MembershipSettings.Preset.standard == .adaptive)
        #expect(MembershipSettings.adaptive.adaptive != nil)
        for preset in MembershipSettings.Preset.allCases where preset != .adaptive {
            #expect(MembershipSettings.preset(preset).adaptive == nil, "\(preset)")
        }
        let wan = MembershipSettings.memberlistWan
        #expect(wan.probeInterval == .seconds(5) && wan.probeTimeout == .seconds(3) && wan.suspicionMultiplier == 6)
        #expect(wan.gossipInterval == .milliseconds(500) && wan.gossipFanout == 4 && wan.pushPullInterval == .seconds(60))
        #expect(MembershipSettings.Preset(rawValue: "memberlist-wan") == .memberlistWan)
    }

    /// A node with the adaptive preset times the ack of its own ping, and its next probe of that
    /// member waits SRTT + 4 · RTTVAR (bounded) instead of the preset's fixed timeout.
    @Test func aMeasuredRoundTripSetsTheNextProbeTimeout() {
        var driver = TimerDriver(MembershipTests.node("a", 1, settings: .adaptive), at: MembershipTests.t0)
        _ = driver.start()
        let alive = Message.alive(Alive(incarnation: 1, name: "b", address: MembershipTests.address(2), meta: []))
        _ = driver.receive(MembershipTests.datagram([alive]), from: MembershipTests.address(2))
        #expect(driver.node.membership.probeTimeoutBase(for: "b") == .seconds(1))   // the seed: nothing measured
        var sequence: UInt32?
        while sequence == nil, let directives = driver.fireNext(until: MembershipTests.t0.now + .seconds(3)) {
            for (to, messages) in MembershipTests.sentMessages(directives) where to == MembershipTests.address(2) {
                for case .ping(let ping) in messages { sequence = ping.sequence }
            }
        }
        guard let sequence else { Issue.record("no ping to b"); return }
        let sentAt = driver.now
        let ack = MembershipTests.datagram([.ack(sequence: sequence)])
        _ = driver.node.receiveDatagram(ack, from: MembershipTests.address(2),
                                        at: Moment(now: sentAt + 400 * Self.ms, wallMilliseconds: 0))
        #expect(driver.node.membership.roundTrip(of: "b")?.smoothed == 400 * Self.ms)
        #expect(driver.node.membership.probeTimeoutBase(for: "b") == 1_200 * Self.ms)
        let timeouts = driver.node.membership.timeoutsInForce
        #expect(timeouts.isAdaptive && timeouts.slowestRoundTrip == 400 * Self.ms)
        #expect(timeouts.suspicionTimeoutMin == 1_200 * Self.ms + 800 * Self.ms)
    }

    /// Karn's rule: an ack after the second direct ping could answer either, so it is no sample.
    @Test func anAckAfterTheRetriedPingIsNotASample() {
        var driver = TimerDriver(MembershipTests.node("a", 1, settings: .adaptive), at: MembershipTests.t0)
        _ = driver.start()
        let alive = Message.alive(Alive(incarnation: 1, name: "b", address: MembershipTests.address(2), meta: []))
        _ = driver.receive(MembershipTests.datagram([alive]), from: MembershipTests.address(2))
        var pings: [UInt32] = []
        var retried: UInt32?
        while retried == nil, let directives = driver.fireNext(until: MembershipTests.t0.now + .seconds(4)) {
            for (to, messages) in MembershipTests.sentMessages(directives) where to == MembershipTests.address(2) {
                for case .ping(let ping) in messages {
                    if pings.contains(ping.sequence) { retried = ping.sequence }
                    pings.append(ping.sequence)
                }
            }
        }
        guard let retried else { Issue.record("no second ping of one probe in \(pings)"); return }
        _ = driver.receive(MembershipTests.datagram([.ack(sequence: retried)]), from: MembershipTests.address(2))
        #expect(driver.node.membership.roundTrip(of: "b") == nil)
    }
}
