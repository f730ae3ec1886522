import Foundation
import Glibc
import Testing

/// Tests that mount a small tmpfs need root. As a normal user they are skipped with a one-line
/// reason, so `swift test` passes for anyone; with `MESH_REQUIRE_ROOT_TESTS=1` (set by `.ci/run`)
/// they run whatever the user, and fail when they cannot (the root-only tests of the CLI target
/// follow the same rule).
enum MountRequirement {
    static var trait: ConditionTrait {
        let required = ProcessInfo.processInfo.environment["MESH_REQUIRE_ROOT_TESTS"] == "1"
        return .enabled(if: required || geteuid() == 0,
                        Comment(rawValue: "needs root: it mounts a 64 KiB tmpfs to fill a real disk; "
                                + "MESH_REQUIRE_ROOT_TESTS=1 makes it run and fail instead"))
    }
}
