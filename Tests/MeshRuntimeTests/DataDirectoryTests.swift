import Foundation
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
            "\(error)".contains("node.json is not valid")
        }
    }
}
