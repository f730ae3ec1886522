import Foundation
import MeshCore
@testable import MeshRuntime
import Testing

/// File parts of an A2A message become blobs like `POST /v1/attachments` uploads.
@Suite("A2A file parts")
struct A2AFilesTests {
    @Test("a file part is stored under its hash, whole, with no temporary file left")
    func storedUnderItsHash() throws {
        let path = NSTemporaryDirectory() + "mesh-a2a-files-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let blobs = try BlobStore(dataPath: path)
        let bytes = Array("a note for the agent".utf8)
        let file = try NodeShell.storeA2AFile(A2AMessage.File(name: "note.txt", bytes: bytes), in: blobs)
        #expect(file.name == "note.txt" && file.size == UInt64(bytes.count))
        #expect(file.sha256 == SHA256.hash(bytes))
        #expect(blobs.holds(file))
        #expect(blobs.listing() == [file.sha256Hex])
        #expect(FileManager.default.contents(atPath: blobs.path(of: file.sha256)) == Data(bytes))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: blobs.directory + "/tmp")
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test("an empty file part is stored too (zero bytes, the empty hash)")
    func emptyFile() throws {
        let path = NSTemporaryDirectory() + "mesh-a2a-files-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let blobs = try BlobStore(dataPath: path)
        let file = try NodeShell.storeA2AFile(A2AMessage.File(name: "empty", bytes: []), in: blobs)
        #expect(file.size == 0 && file.sha256 == SHA256.hash([]) && blobs.holds(file))
    }
}
