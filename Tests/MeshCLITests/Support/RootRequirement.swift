import Foundation
import Glibc
import Testing

/// Tests that need root (network namespaces, routing rules) and iproute2. As a normal user they
/// are skipped with a one-line reason, so `swift test` passes for anyone; with
/// `MESH_REQUIRE_ROOT_TESTS=1` (set by `.ci/run`) they run whatever the user, and fail when they cannot.
enum RootRequirement {
    /// True when the environment asks for the root-only tests to run (and fail rather than skip).
    static let isRequired = ProcessInfo.processInfo.environment["MESH_REQUIRE_ROOT_TESTS"] == "1"

    /// What is missing to run them here, or nil when nothing is.
    static var missing: String? {
        if geteuid() != 0 { return "needs root" }
        if NetworkNamespace.ipCommand() == nil { return "needs iproute2's ip (apt-get install -y iproute2)" }
        return nil
    }

    /// The trait for a root-only test: enabled when required or when nothing is missing.
    static var trait: ConditionTrait {
        .enabled(if: isRequired || missing == nil,
                 Comment(rawValue: "\(missing ?? "needs root"): network namespaces and routing rules; "
                         + "MESH_REQUIRE_ROOT_TESTS=1 makes it run and fail instead"))
    }
}
