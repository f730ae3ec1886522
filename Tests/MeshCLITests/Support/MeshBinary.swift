import Foundation
import MeshRuntime

/// Finds the built `mesh` binary: next to the test bundle (SwiftPM puts both in the same build
/// directory), else in the usual build directories of the checkout this file is in.
enum MeshBinary {
    static let path: String = {
        if let given = ProcessInfo.processInfo.environment["AGENTMESH_TEST_BINARY"], !given.isEmpty { return given }
        var candidates: [String] = []
        var directory = (ChildProcess.currentExecutable() as NSString).deletingLastPathComponent
        for _ in 0..<4 {
            candidates.append(directory + "/mesh")
            directory = (directory as NSString).deletingLastPathComponent
        }
        let root = ((#filePath as NSString).deletingLastPathComponent as NSString)
            .deletingLastPathComponent.replacingOccurrences(of: "/Tests/MeshCLITests", with: "")
        for build in [".build-runtime", ".build"] {
            candidates.append("\(root)/\(build)/debug/mesh")
            candidates.append("\(root)/\(build)/release/mesh")
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }()
}
