import Foundation
import Testing
@testable import MeshCore
@testable import MeshSimulator

/// A rolling upgrade, played by the simulator rewriting the datagrams of "next version" nodes:
/// this build must read them, skip the message it does not know, and keep one member list.
@Suite struct UpgradeTests {
    static let keyring: Keyring = {
        var generator = SeededGenerator(seed: 11)
        return Keyring(keys: [MeshKey.make(from: &generator)])
    }()

    static func datagram(_ messages: [Message], codec: PacketCodec) -> Bytes {
        codec.seal(payload: messages.flatMap { MessageCodec.encode($0) })
    }

    @Test func aRewrittenDatagramCarriesTheNextRangeAndAMessageThisBuildSkips() throws {
        var settings = NextVersionSettings()
        settings.nodes = [0]
        let encoder = NextVersionEncoder(settings: settings, keyring: Self.keyring, label: "sim")
        let current = PacketCodec(keyring: Self.keyring, label: "sim")
        let original = Self.datagram([.ack(sequence: 7), .nack(sequence: 9)], codec: current)
        let rewritten = try #require(encoder.reencode(original))
        #expect(rewritten[0] == MeshVersion.protocolMinimum && rewritten[1] == MeshVersion.protocolCurrent + 1)
        #expect(rewritten.count == original.count + 2 + settings.messageBytes)
        guard case .success(let range) = current.open(rewritten) else {
            Issue.record("this build refused the next version's datagram")
            return
        }
        var skipped = DropCounters()
        let messages = try PacketCodec.messages(in: rewritten, range: range, skipped: &skipped).get()
        #expect(messages == [.ack(sequence: 7), .nack(sequence: 9)])
        #expect(skipped[.unknownMessageType] == 1)
    }

    @Test func anIncompatibleNextVersionIsRefusedAndADatagramTooFullForTheExtraMessageGoesOutAsItWas() throws {
        var settings = NextVersionSettings()
        settings.incompatible = true
        let encoder = NextVersionEncoder(settings: settings, keyring: Self.keyring, label: "sim")
        let current = PacketCodec(keyring: Self.keyring, label: "sim")
        let rewritten = try #require(encoder.reencode(Self.datagram([.ack(sequence: 1)], codec: current)))
        guard case .failure(let reason) = current.open(rewritten) else {
            Issue.record("an incompatible range was accepted")
            return
        }
        #expect(reason == .unsupportedVersion)
        let full = current.seal(payload: Bytes(repeating: 0, count: current.payloadBytesMax))
        #expect(encoder.reencode(full) == nil)
        #expect(encoder.reencode(Bytes(repeating: 1, count: 40)) == nil, "what this build cannot open is left alone")
    }

    static let mixedMesh = """
    {"seed": 5, "nodes": 8, "nextVersion": {"nodes": "4-7"INCOMPATIBLE},
     "crashes": {"count": 3, "firstSeconds": 10, "gapSeconds": [5, 8], "downSeconds": [20, 25]},
     "updates": {"count": 6, "firstSeconds": 5, "gapSeconds": [2, 4]},
     "durationSeconds": 40, "convergenceBoundSeconds": 30,
     "expect": {"falseSuspectCount": 0, "falseDeadCount": 0, "crashesUndetected": 0, "disseminationMissing": 0,
                "convergedAfterSecondsMax": 10, "unknownMessagesSkippedMin": 100}}
    """

    @Test func halfTheMeshOnTheNextVersionKeepsOneMemberListWithoutFalseSuspicion() throws {
        let scenario = try Scenario.parse(Self.mixedMesh.replacingOccurrences(of: "INCOMPATIBLE", with: ""), name: "upgrade")
        let report = Simulation(scenario: scenario).run()
        #expect(report.passed, "\(report.violations) \(report.brokenPromises.map(\.description))")
        #expect(report.nextVersionDatagrams > 1000)
    }

    @Test func aNextVersionThatDropsThisBuildsVersionBreaksThePromises() throws {
        let scenario = try Scenario.parse(Self.mixedMesh.replacingOccurrences(of: "INCOMPATIBLE", with: ", \"incompatible\": true"), name: "upgrade")
        let report = Simulation(scenario: scenario).run()
        #expect(!report.passed)
        #expect(report.falseSuspectCount > 0)
        #expect(report.drops.contains { $0.0 == "unsupportedVersion" && $0.1 > 100 })
    }

    @Test func theNextVersionMustAddAKindThisBuildDoesNotKnow() {
        do {
            _ = try Scenario.parse("{\"nodes\": 4, \"durationSeconds\": 1, \"nextVersion\": {\"nodes\": [1], \"messageKind\": 1}}", name: "test")
            Issue.record("accepted a known kind")
        } catch {
            #expect("\(error)".contains("nextVersion.messageKind: 1 is a kind this build knows"), "\(error)")
        }
    }
}
