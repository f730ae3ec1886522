import Foundation
import Glibc
import MeshRuntime
import Testing

/// Files the node creates are its own: mode 600, made with O_EXCL | O_NOFOLLOW, so a symlink or a
/// file planted where a temporary file goes is never followed or reused (issue 7).
@Suite("Files: temporary and new files")
struct FilesTests {
    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "mesh-files-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    @Test("writeAtomically writes through no symlink planted at its temporary path, and leaves mode 600")
    func atomicWriteIgnoresPlantedSymlink() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let victim = directory + "/victim"
        try "precious".write(toFile: victim, atomically: false, encoding: .utf8)
        #expect(symlink(victim, directory + "/state.json.tmp") == 0)
        try Files.writeAtomically(directory + "/state.json", Array("new".utf8))
        #expect(Self.read(victim) == "precious")
        #expect(Self.read(directory + "/state.json") == "new")
        #expect(Files.permissions(directory + "/state.json") == 0o600)
        #expect(!Files.exists(directory + "/state.json.tmp"))
    }

    @Test("writeAtomically replaces a stale temporary file left by a crash")
    func atomicWriteReplacesStaleTemporary() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "half-writ".write(toFile: directory + "/state.json.tmp", atomically: false, encoding: .utf8)
        try Files.writeAtomically(directory + "/state.json", Array("whole".utf8))
        #expect(Self.read(directory + "/state.json") == "whole")
    }

    @Test("writeNew creates a file with mode 600 and refuses any existing name, a dangling symlink included")
    func writeNewRefusesExisting() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/mesh.key"
        try Files.writeNew(path, Array("key\n".utf8))
        #expect(Self.read(path) == "key\n")
        #expect(Files.permissions(path) == 0o600)
        #expect(throws: SystemError(call: "link \(path)", code: EEXIST)) { try Files.writeNew(path, Array("other".utf8)) }
        #expect(Self.read(path) == "key\n")

        let target = directory + "/elsewhere"
        let planted = directory + "/planted.key"
        #expect(symlink(target, planted) == 0)
        #expect(throws: SystemError.self) { try Files.writeNew(planted, Array("key".utf8)) }
        #expect(!Files.exists(target), "the symlink's target was not created")
        #expect(FileManager.default.subpaths(atPath: directory)?.sorted() == ["mesh.key", "planted.key"],
                "no temporary file is left behind")
    }
}
