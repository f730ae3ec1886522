import Foundation
import Glibc
import MeshRuntime
import Testing

/// Partition healing with real processes, inside a network namespace the test makes. Needs root and
/// iproute2: skipped with the reason otherwise, unless `MESH_REQUIRE_ROOT_TESTS=1` (CI sets it), where
/// it runs and fails when it cannot.
@Suite("Real nodes: partition healing", .timeLimit(.minutes(5)), RootRequirement.trait)
struct PartitionTests {
    @Test("two halves cut apart for longer than the dead timeout merge back into one member list after the cut heals")
    func partitionHeals() throws {
        let namespace = try NetworkNamespace(prefix: "meshtest")
        defer { namespace.delete() }
        let cluster = try TestCluster(subnet: 31, launcher: namespace.launcher)
        defer { cluster.shutdown() }
        let names = ["a1", "a2", "b1", "b2"]
        try cluster.start("a1", index: 1)
        for (offset, name) in names.dropFirst().enumerated() { try cluster.start(name, index: offset + 2, join: [1]) }
        cluster.waitUntil("all four see four alive", timeout: 30, interval: 0.25) {
            names.allSatisfy { cluster.status($0)?.count("alive") == 4 }
        }

        for a in [1, 2] { for b in [3, 4] { try namespace.cut(cluster.ip(a), cluster.ip(b)) } }
        let cutAt = Date()
        cluster.waitUntil("each half reports the other half dead", timeout: 40, interval: 0.25) {
            ["a1", "a2"].allSatisfy { observer in
                ["b1", "b2"].allSatisfy { cluster.state(of: $0, seenBy: observer) == "dead" }
            } && ["b1", "b2"].allSatisfy { observer in
                ["a1", "a2"].allSatisfy { cluster.state(of: $0, seenBy: observer) == "dead" }
            }
        }
        print(String(format: "partition: both halves saw the other dead %.1f s after the cut", Date().timeIntervalSince(cutAt)))

        try namespace.heal()
        let merged = cluster.waitUntil("all four see four alive again", timeout: 60, interval: 0.25) {
            names.allSatisfy { cluster.status($0)?.count("alive") == 4 }
        }
        if let merged { print(String(format: "partition: merged %.1f s after the cut healed", merged)) }
    }
}
