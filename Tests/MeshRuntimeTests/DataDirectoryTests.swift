import Foundation
import Glibc
import MeshRuntime
import Testing

@Suite("Data directory")
struct DataDirectoryTests {
    static func temporaryPath() -> String {
        NSTemporaryDirectory() + "mesh-datadir-\(UUID().uuidString)"
    }

    @Test("the name and incarnation survive reopening; the lock keeps a second opener out")
    func persistAndLock() throws {
        let base = Self.temporaryPath()
        let path = base + "/nested/data"
        defer { try? FileManager.default.removeItem(atPath: base) }
        do {
            let directory = try DataDirectory(path: path)
            #expect(directory.stored == nil)
            try directory.persist(.init(name: "a", incarnation: 7))
            try directory.persist(.init(name: "a", incarnation: 9))
            #expect(throws: DataDirectory.Failure.self) { _ = try DataDirectory(path: path) }
        }
        let reopened = try DataDirectory(path: path)
        #expect(reopened.stored == .init(name: "a", incarnation: 9))
        #expect(!FileManager.default.fileExists(atPath: path + "/node.json.tmp"))
    }

    @Test("a corrupt node.json is refused with a clear message")
    func corrupt() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try "{\"name\": ".write(toFile: path + "/node.json", atomically: true, encoding: .utf8)
        #expect { _ = try DataDirectory(path: path) } throws: { error in
            "\(error)".contains("node.json is not valid JSON: unexpected end of text at line 1, column 10")
        }
        try "{\"name\": \"a\"}".write(toFile: path + "/node.json", atomically: true, encoding: .utf8)
        #expect { _ = try DataDirectory(path: path) } throws: { error in
            "\(error)".contains("node.json needs \"name\" and \"incarnation\" at line 1, column 1")
        }
    }

    @Test("an incarnation of 2^64-2 (and 2^64-1) is stored and read back exactly, not clamped to Int64.max")
    func largeIncarnation() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        for incarnation in [UInt64.max - 1, UInt64.max] {
            do {
                let directory = try DataDirectory(path: path)
                try directory.persist(.init(name: "a", incarnation: incarnation))
            }
            #expect(try DataDirectory(path: path).stored == .init(name: "a", incarnation: incarnation))
        }
    }

    @Test("symlinks planted in the directory are never followed: not at node.json.tmp, not at lock")
    func plantedSymlinks() throws {
        let path = Self.temporaryPath()
        let victim = path + "-victim"
        defer { try? FileManager.default.removeItem(atPath: path); unlink(victim) }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try "precious\n".write(toFile: victim, atomically: true, encoding: .utf8)
        #expect(symlink(victim, path + "/node.json.tmp") == 0)
        do {
            let directory = try DataDirectory(path: path)
            try directory.persist(.init(name: "a", incarnation: 3))
        }
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n", "the symlink's target is untouched")
        var info = stat()
        #expect(lstat(path + "/node.json", &info) == 0 && info.st_mode & S_IFMT == S_IFREG, "node.json is a file, not the symlink")
        #expect(try DataDirectory(path: path).stored == .init(name: "a", incarnation: 3))

        let other = Self.temporaryPath()
        let missing = other + "-created-through-lock"
        defer { try? FileManager.default.removeItem(atPath: other); unlink(missing) }
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        #expect(symlink(missing, other + "/lock") == 0)
        #expect(throws: DataDirectory.Failure.self) { _ = try DataDirectory(path: other) }
        #expect(!FileManager.default.fileExists(atPath: missing), "opening the lock did not create the symlink's target")
    }
}
