import Foundation
import Testing

/// Tests that run real third-party clients (Python SDKs from PyPI, Debian's chromium) against real
/// nodes. `.ci/clients.sh` installs them into `.build/clients-venv`; without it the tests are
/// skipped with a one-line reason, so `swift test` passes for anyone. With
/// `MESH_REQUIRE_CLIENT_TESTS=1` (set by `.ci/run`) they run and fail when a client is missing.
enum ClientRequirement {
    /// True when the environment asks for the client tests to run (and fail rather than skip).
    static let isRequired = ProcessInfo.processInfo.environment["MESH_REQUIRE_CLIENT_TESTS"] == "1"

    /// The venv's python: `MESH_CLIENTS_PYTHON`, else `.build/clients-venv/bin/python` of this package.
    static var python: String {
        if let path = ProcessInfo.processInfo.environment["MESH_CLIENTS_PYTHON"], !path.isEmpty { return path }
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return package.appendingPathComponent(".build/clients-venv/bin/python").path
    }

    /// True when `python` can import `module`.
    static func has(_ module: String) -> Bool {
        guard FileManager.default.isExecutableFile(atPath: python) else { return false }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", "import \(module)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    /// Debian's chromium: `MESH_CHROMIUM`, else `/usr/bin/chromium` (`.ci/clients.sh` installs it).
    static var chromiumPath: String {
        if let path = ProcessInfo.processInfo.environment["MESH_CHROMIUM"], !path.isEmpty { return path }
        return "/usr/bin/chromium"
    }

    /// A Python 3 for drivers that need only its standard library: the venv's, else `/usr/bin/python3`.
    static var standardPython: String {
        FileManager.default.isExecutableFile(atPath: python) ? python : "/usr/bin/python3"
    }

    /// The trait for a test that drives headless chromium (through a standard-library Python script).
    static var chromium: ConditionTrait {
        .enabled(if: isRequired || (FileManager.default.isExecutableFile(atPath: chromiumPath)
                                    && FileManager.default.isExecutableFile(atPath: standardPython)),
                 Comment(rawValue: "needs chromium at \(chromiumPath) (Debian's package; .ci/clients.sh installs it) and python3; "
                         + "MESH_REQUIRE_CLIENT_TESTS=1 makes it run and fail instead"))
    }

    /// The trait for a test that needs the Python `module` from the clients venv.
    static func trait(_ module: String) -> ConditionTrait {
        .enabled(if: isRequired || has(module),
                 Comment(rawValue: "needs the Python package providing '\(module)' (.ci/clients.sh installs it); "
                         + "MESH_REQUIRE_CLIENT_TESTS=1 makes it run and fail instead"))
    }
}
