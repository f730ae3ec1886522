import Foundation
import MeshCore

extension PlacementBench {
    func printText(lookup: [Lookup], rebuild: Rebuild,
                          balance: [Balance], movement: [Movement]) {
        print("mesh bench place: skewed slots 1-16 unless marked equal; fastest of \(PlacementBench.repeats) runs; "
              + "points_per_slot=\(settings.pointsPerSlot)")
        print("lookup (key hash + binary search + bounded walk; bare = no bounds):")
        for row in lookup {
            print(String(format: "  members=%-5d points=%-6d lookup_ns=%.0f bare_lookup_ns=%.0f",
                         row.members, row.points, row.boundedNs, row.bareNs))
        }
        print(String(format: "ring of %d members (%d points): build_ms=%.2f rebuild_after_leave_ms=%.2f "
                     + "rebuild_after_join_ms=%.2f replica_ring_build_ms=%.2f", PlacementBench.rebuildSize,
                     rebuild.points, rebuild.buildMs, rebuild.leaveMs, rebuild.joinMs, rebuild.replicaMs))
        print("balance (max over members of assigned / fair share; allowance = 1.25 + rounding):")
        for row in balance {
            print(String(format: "  members=%-4d ", row.members) + (row.skewed ? "skewed" : "equal ")
                  + String(format: " keys=%-6d bounded=%.3f bare=%.3f allowance=%.3f", row.keys, row.bounded, row.bare, row.allowance))
        }
        print("movement (fraction of keys whose owner changed; share = the member's w/W, owned = its bare-ring keys):")
        for row in movement {
            print(String(format: "  members=%-4d ", row.members) + row.change
                  + String(format: "  keys=%-6d share=%.4f owned=%.4f moved_bare=%.4f moved_bounded=%.4f",
                           row.keys, row.weightShare, row.ownedShare, row.movedBare, row.movedBounded))
        }
    }

    func json(lookup: [Lookup], rebuild: Rebuild,
                     balance: [Balance], movement: [Movement]) -> JSONValue {
        .object([
            ("points_per_slot", .integer(Int64(settings.pointsPerSlot))),
            ("lookup", .array(lookup.map { row in
                .object([("members", .integer(Int64(row.members))), ("points", .integer(Int64(row.points))),
                         ("lookup_ns", .number(row.boundedNs)), ("bare_lookup_ns", .number(row.bareNs))])
            })),
            ("rebuild", .object([("members", .integer(Int64(PlacementBench.rebuildSize))), ("points", .integer(Int64(rebuild.points))),
                                 ("build_ms", .number(rebuild.buildMs)), ("rebuild_after_leave_ms", .number(rebuild.leaveMs)),
                                 ("rebuild_after_join_ms", .number(rebuild.joinMs)), ("replica_ring_build_ms", .number(rebuild.replicaMs))])),
            ("balance", .array(balance.map { row in
                .object([("members", .integer(Int64(row.members))), ("slots", .string(row.skewed ? "skewed" : "equal")),
                         ("keys", .integer(Int64(row.keys))), ("bounded", .number(row.bounded)),
                         ("bare", .number(row.bare)), ("allowance", .number(row.allowance))])
            })),
            ("movement", .array(movement.map { row in
                .object([("members", .integer(Int64(row.members))), ("change", .string(row.change)),
                         ("keys", .integer(Int64(row.keys))), ("share", .number(row.weightShare)),
                         ("owned", .number(row.ownedShare)), ("moved_bare", .number(row.movedBare)),
                         ("moved_bounded", .number(row.movedBounded))])
            })),
        ])
    }
}
