import Foundation
import Testing
@testable import MeshCore
@testable import MeshSimulator

/// The pluggable checkers and measurements, each driven through the hooks the world calls.
@Suite struct CheckerTests {
    static func simulation(_ json: String = "{\"nodes\": 3, \"durationSeconds\": 1}") throws -> Simulation {
        Simulation(scenario: try Scenario.parse(Data(json.utf8), name: "test"))
    }

    static let n1 = Address(10, 0, 0, 2, port: 7946)

    @Test func theWorldAndTheMembershipLayerRegisterTheirCheckersAndMeasurements() throws {
        let simulation = try Self.simulation()
        let names = simulation.observers.map { "\(type(of: $0))" }
        // The world checks every disk, whoever writes to it; the rest is membership's.
        #expect(names == ["DatagramsWithinSizeLimit", "SyncedRecordsSurvive", "Traffic", "IncarnationsOnlyGrow", "DownMembersStayDown",
                          "PersistedIncarnationsOnlyGrow", "NamesAreUnique", "CrashDetection", "FalseAccusations",
                          "Dissemination"])
        #expect(simulation.livenessCheckers.count == 1)
        #expect(simulation.measurementList.count == 4)
    }

    @Test func aMemberAliveAgainAfterDeadAtTheSameIncarnationIsAViolationButNotAtAHigherOne() throws {
        let simulation = try Self.simulation()
        simulation.observe(.memberChanged(name: "n1", status: .dead, incarnation: 5, address: Self.n1), at: 0)
        simulation.observe(.memberChanged(name: "n1", status: .alive, incarnation: 6, address: Self.n1), at: 0)
        #expect(simulation.violations.count == 0)
        simulation.observe(.memberChanged(name: "n1", status: .left, incarnation: 6, address: Self.n1), at: 0)
        simulation.observe(.memberChanged(name: "n1", status: .alive, incarnation: 6, address: Self.n1), at: 0)
        #expect(simulation.violations.count == 1)
        #expect(simulation.violations.messages.first?.contains("alive again at incarnation 6 after") == true)
    }

    @Test func aForgottenMemberOrACrashedObserverStartsAfresh() throws {
        let simulation = try Self.simulation()
        simulation.observe(.memberChanged(name: "n1", status: .alive, incarnation: 9, address: Self.n1), at: 0)
        simulation.observe(.memberForgotten(name: "n1"), at: 0)
        simulation.observe(.memberChanged(name: "n1", status: .alive, incarnation: 3, address: Self.n1), at: 0)
        #expect(simulation.violations.count == 0)
        simulation.notify { $0.nodeCrashed(0, incarnation: 1, world: simulation) }
        simulation.observe(.memberChanged(name: "n1", status: .alive, incarnation: 1, address: Self.n1), at: 0)
        #expect(simulation.violations.count == 0)
        simulation.observe(.memberChanged(name: "n1", status: .alive, incarnation: 0, address: Self.n1), at: 0)
        #expect(simulation.violations.count == 1)
    }

    @Test func aPersistedIncarnationThatDoesNotGrowIsAViolationAcrossLives() throws {
        let simulation = try Self.simulation()
        simulation.persist(3, at: 1)
        simulation.persist(4, at: 1)
        #expect(simulation.violations.count == 0)
        simulation.persist(4, at: 1)
        #expect(simulation.violations.count == 1)
        #expect(simulation.persistedIncarnation[1] == 4)
    }

    @Test func anOversizedDatagramIsAViolation() throws {
        let simulation = try Self.simulation()
        simulation.notify { $0.datagramSent(Bytes(repeating: 0, count: WireLimits.datagramBytesMax), node: 0, world: simulation) }
        #expect(simulation.violations.count == 0)
        simulation.notify { $0.datagramSent(Bytes(repeating: 0, count: WireLimits.datagramBytesMax + 1), node: 0, world: simulation) }
        #expect(simulation.violations.count == 1)
    }

    @Test(arguments: [
        ("[\"membership\", \"colour\"]", "layers: \"colour\" is not one of membership"),
        ("[\"membership\", \"membership\"]", "listed twice"),
        ("[]", "must include 'membership'"),
    ])
    func badLayerListsGetAClearError(_ layers: String, _ message: String) {
        do {
            _ = try Self.simulation("{\"nodes\": 3, \"durationSeconds\": 1, \"layers\": \(layers)}")
            Issue.record("accepted: \(layers)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }
}
