import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import Testing

/// Artifacts as the runner finds them (issue 10 §3): regular files only, no link followed,
/// declared outputs first, at most `artifactsRecordedMax` listed and the rest counted.
struct AgentArtifactsTests {
    @Test func regularFilesAreHashedLinksAndOddEntriesSkippedDeclaredFirstBounded() throws {
        let directory = NSTemporaryDirectory() + "mesh-artifacts-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/sub", withIntermediateDirectories: true)
        let report = Array("the report".utf8)
        try Files.writeAtomically(directory + "/z-report.md", report)
        try Files.writeAtomically(directory + "/-flag", [1])
        #expect(symlink("/etc/hostname", directory + "/link") == 0)
        #expect(mkfifo(directory + "/fifo", 0o600) == 0)
        for index in 0..<(TaskLimits.artifactsRecordedMax + 9) {
            #expect(FileManager.default.createFile(atPath: directory + String(format: "/f%04d", index), contents: Data("\(index)".utf8)))
        }
        let outputs = AgentArtifacts.collect(directory, declared: ["z-report.md", "missing.txt"])
        #expect(outputs.artifacts.first == TaskFile(name: "z-report.md", size: UInt64(report.count), sha256: SHA256.hash(report)))
        #expect(outputs.artifacts.count == TaskLimits.artifactsRecordedMax)
        #expect(outputs.unrecorded == 10, "265 files and the report: 256 recorded, 10 counted (the link, the fifo and the directory are no files)")
        #expect(outputs.missing == ["missing.txt"])
        let names = Set(outputs.artifacts.map(\.name))
        #expect(!names.contains("link") && !names.contains("fifo") && !names.contains("sub") && !names.contains("-flag"))
        #expect(outputs.artifacts[1].name == "f0000" && outputs.artifacts[1].sha256 == SHA256.hash(Array("0".utf8)))
    }
}
