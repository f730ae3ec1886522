// swift-tools-version:6.0
// AgentMesh: a hubless mesh that runs AI agents across machines.
// No package dependencies: Foundation, Dispatch and Glibc only (MeshCore: the standard library only).
import PackageDescription

let package = Package(
    name: "AgentMesh",
    products: [
        .executable(name: "mesh", targets: ["mesh"]),
    ],
    targets: [
        // Pure, deterministic protocol core: no I/O, no clock, no global randomness.
        .target(name: "MeshCore"),
        // Deterministic world for the core: virtual clock, seeded network, faults, invariants.
        .target(name: "MeshSimulator", dependencies: ["MeshCore"]),
        // The real shell: sockets, timers, files, control API.
        .target(name: "MeshRuntime", dependencies: ["MeshCore"]),
        // Argument parsing, commands, output.
        .target(name: "MeshCLI", dependencies: ["MeshCore", "MeshSimulator", "MeshRuntime"]),
        .executableTarget(name: "mesh", dependencies: ["MeshCLI"]),
        .testTarget(name: "MeshCoreTests", dependencies: ["MeshCore"]),
        .testTarget(name: "MeshSimulatorTests", dependencies: ["MeshCore", "MeshSimulator"]),
        // Helpers the test targets share (a raw HTTP client that sends what no well-behaved client sends).
        .target(name: "MeshTestSupport", path: "Tests/MeshTestSupport"),
        .testTarget(name: "MeshRuntimeTests", dependencies: ["MeshCore", "MeshRuntime", "MeshTestSupport"]),
        .testTarget(name: "MeshCLITests", dependencies: ["MeshCLI", "mesh", "MeshTestSupport"], exclude: ["Clients"]),
    ],
    swiftLanguageModes: [.v6]
)
