import Foundation
import MeshCore
import MeshRuntime
import Testing

@Suite("Task id salt")
struct TaskIDSaltTests {
    @Test("a data directory keeps its salt across reopening; a fresh directory gets another")
    func keptAndFresh() throws {
        let base = DataDirectoryTests.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let first: Bytes
        do {
            let directory = try DataDirectory(path: base + "/one")
            first = try directory.taskIDSalt()
            #expect(first.count == DataDirectory.taskIDSaltBytes)
            #expect(try directory.taskIDSalt() == first)
        }
        #expect(try DataDirectory(path: base + "/one").taskIDSalt() == first)
        let fresh = try DataDirectory(path: base + "/two").taskIDSalt()
        #expect(fresh != first)
        // The same node name and incarnation on the two directories make different ids.
        var one = TaskIDGenerator(node: "a", incarnation: 1, salt: first)
        var two = TaskIDGenerator(node: "a", incarnation: 1, salt: fresh)
        #expect(one.next() != two.next())
    }

    @Test("a damaged salt file is refused with a message naming it")
    func damaged() throws {
        let path = DataDirectoryTests.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try "not hex\n".write(toFile: path + "/task-id-salt", atomically: true, encoding: .utf8)
        let directory = try DataDirectory(path: path)
        #expect { _ = try directory.taskIDSalt() } throws: { error in
            "\(error)".contains("task-id-salt is not 32 hex digits")
        }
    }
}
