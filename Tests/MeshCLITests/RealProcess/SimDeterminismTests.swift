import Foundation
import Glibc
import MeshCore
import MeshRuntime
import MeshSimulator
import Testing

/// Cross-process determinism: the built `mesh sim` binary, run as separate processes, gives the
/// same trace hash as every other run of the same scenario and seed (this test process included),
/// and that hash is pinned. Swift's `Hasher` is seeded per process, so a decision that leaked
/// through a `Set` or `Dictionary` order would show up here and not in an in-process test.
@Suite("mesh sim across processes", .timeLimit(.minutes(5)))
struct SimDeterminismTests {
    /// A small scenario that touches every part of the world: joins (push-pull streams), loss,
    /// duplication, a partition and its heal, a pause, crashes and restarts, updates, a leave.
    /// Do not edit it: the pin below belongs to it.
    static let scenario = """
    {
      "description": "Determinism pin for SimDeterminismTests; do not edit without updating the pin.",
      "seed": 42,
      "nodes": 7,
      "link": {"delayMs": 2, "jitterMs": 1, "loss": 0.02, "duplicate": 0.02},
      "crashes": {"count": 3, "firstSeconds": 8, "gapSeconds": [2, 4], "downSeconds": [6, 10]},
      "updates": {"count": 4, "firstSeconds": 5, "gapSeconds": [1, 3]},
      "events": [
        {"at": 12, "action": "partition", "groups": ["0-2", "3-6"]},
        {"at": 20, "action": "heal"},
        {"at": 22, "action": "pause", "node": 4, "seconds": 2},
        {"at": 26, "action": "leave", "node": 6}
      ],
      "durationSeconds": 30,
      "convergenceBoundSeconds": 60
    }
    """

    /// The trace hash of `scenario`. Update it only in a commit that says why: a change to the
    /// core, the simulator or the scenario that changes what happens in the run (say which).
    /// a18d181b2d55e811 since the default preset became `adaptive` (issue 11) on top of the core's
    /// joinFailed events and capacity gossip (issue 8): the scenario names no preset, so its probe deadlines and suspicion timeouts
    /// follow measured round trips. With `--preset lan` the run gives 2843232af0afd573 (before
    /// the change below). f377769d70b7db0e since stream hellos say version 4 (resumed task
    /// streams, `MeshVersion.streamCurrent`): every push-pull stream's hello bytes changed.
    /// 3b3a8a0b59309c9f since a connection no server accepted ends `streamNotConnected`, which the
    /// trace mixes with its own tag: with the tag of `streamFailed` the run gives f377769d70b7db0e
    /// again, and its report is the same apart from the hash.
    static let pinnedTraceHash = "3b3a8a0b59309c9f"

    /// Runs `mesh sim FILE --json` as a child process and returns the report's trace hash.
    static func traceHashFromBinary(_ file: String) throws -> String {
        let output = NSTemporaryDirectory() + "sim-determinism-\(UUID().uuidString).out"
        defer { unlink(output) }
        let process = try ChildProcess.spawn(MeshBinary.path, ["sim", file, "--json"],
                                             environment: ChildProcess.environment(), output: .file(output))
        guard let status = process.waitForExit(timeout: 60) else {
            process.kill()
            throw Failure(message: "mesh sim did not finish within 60 s")
        }
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        guard status == 0 else { throw Failure(message: "mesh sim exited \(status): \(text)") }
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("{") }),
              let hash = try JSONValue.parse(String(line))["traceHash"]?.string else {
            throw Failure(message: "no trace hash in: \(text)")
        }
        return hash
    }

    struct Failure: Error, CustomStringConvertible { var message: String; var description: String { message } }

    @Test("two mesh sim processes and this one agree on the trace hash, and it is the pinned one")
    func traceHashIsTheSameInEveryProcessAndPinned() throws {
        let file = NSTemporaryDirectory() + "sim-determinism-\(UUID().uuidString).json"
        try Self.scenario.write(toFile: file, atomically: true, encoding: .utf8)
        defer { unlink(file) }
        let first = try Self.traceHashFromBinary(file)
        let second = try Self.traceHashFromBinary(file)
        let here = Simulation(scenario: try Scenario.load(path: file)).run()
        #expect(here.passed, "\(here.violations)")
        #expect(first == second)
        #expect(here.traceHash == first)
        #expect(first == Self.pinnedTraceHash, "trace hash changed: \(first); update the pin only with a commit that says why")
    }
}
