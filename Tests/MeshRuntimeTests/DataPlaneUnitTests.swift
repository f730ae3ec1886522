import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import Testing

/// The data plane's pieces on their own: the blob store's all-or-nothing writes, the data wire's
/// refusal of hostile requests, data streams' authentication, percent-encoding.
struct DataPlaneUnitTests {
    static func store() throws -> (BlobStore, String) {
        let path = NSTemporaryDirectory() + "mesh-blobs-\(UUID().uuidString)"
        return (try BlobStore(dataPath: path), path)
    }

    @Test func aBlobTakesItsNameOnlyWhenWholeAndMatchingItsHash() throws {
        let (store, path) = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let bytes = Array("attachment bytes".utf8)
        let writer = try store.writer(bytesMax: 100)
        try writer.write(bytes)
        let file = try writer.commit(name: "a.txt")
        #expect(file == TaskFile(name: "a.txt", size: UInt64(bytes.count), sha256: SHA256.hash(bytes)))
        #expect(store.holds(file) && store.listing() == [file.sha256Hex])
        #expect(FileManager.default.contents(atPath: store.path(of: file.sha256)) == Data(bytes))
        // A fetched blob whose bytes do not match what the task says is not stored.
        let wrong = try store.writer(bytesMax: 100)
        try wrong.write(Array("other bytes".utf8))
        #expect(throws: BlobError.self) { try wrong.commit(name: "b", expected: TaskFile(name: "b", size: 11, sha256: SHA256.hash([1]))) }
        // More than the limit: refused at the byte that passes it.
        let large = try store.writer(bytesMax: 4)
        #expect(throws: BlobError.tooLarge(4)) { try large.write(bytes) }
        #expect(store.listing() == [file.sha256Hex])
        #expect((try FileManager.default.contentsOfDirectory(atPath: store.directory + "/tmp")).isEmpty, "no partial file left")
    }

    @Test func theInboxGetsEachBlobUnderItsNameAndRefusesAMissingOne() throws {
        let (store, path) = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try store.writer(bytesMax: 10)
        try writer.write(Array("hello".utf8))
        let file = try writer.commit(name: "hello.txt")
        try store.link([file], into: path + "/inbox")
        #expect(FileManager.default.contents(atPath: path + "/inbox/hello.txt") == Data("hello".utf8))
        let missing = TaskFile(name: "gone.txt", size: 1, sha256: SHA256.hash([9]))
        #expect(throws: BlobError.self) { try store.link([missing], into: path + "/inbox") }
        #expect(!Files.exists(path + "/inbox/gone.txt"))
    }

    @Test func hostileDataRequestsAreRefused() {
        let task = TaskID.idempotent(key: "t")
        for request in [DataRequest.blob(TaskFile(name: "blob", size: 5, sha256: SHA256.hash([1]))),
                        .log(task, attempt: 2, offset: 77, follow: true), .artifact(task, name: "out.md"), .artifacts(task)] {
            #expect(DataRequest.decode(request.encoded()) == request)
        }
        var traversal = DataRequest.artifact(task, name: "abc").encoded()
        traversal.replaceSubrange((traversal.count - 3)..., with: Array("../".utf8))
        #expect(DataRequest.decode(traversal) == nil, "a name that leaves the workspace")
        #expect(DataRequest.decode(DataRequest.artifacts(task).encoded() + [0]) == nil, "trailing bytes")
        #expect(DataRequest.decode([0x61] + task.bytes + [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0, 0]) == nil, "attempt out of range")
        #expect(DataRequest.decode([0x99]) == nil && DataRequest.decode([]) == nil)
        for reply in [DataReply.head(status: DataReply.ok, value: 12, text: "[]"), .chunk([1, 2, 3]), .chunk([]), .end(complete: true, reason: "")] {
            #expect(DataReply.decode(reply.encoded()) == reply)
        }
        #expect(DataReply.decode([0x70, 9, 0, 0]) == nil, "unknown head status")
    }

    @Test func dataStreamsAuthenticateLikeEveryStream() throws {
        let key = try #require(MeshKey(bytes: Bytes(repeating: 7, count: 32)))
        let other = try #require(MeshKey(bytes: Bytes(repeating: 8, count: 32)))
        func pair(_ serverKey: MeshKey) -> Result<[DataStream.Event], DropReason> {
            var client = DataStream(role: .client, keyring: Keyring(keys: [key]), labelHash: 1, sender: "a", nonce: SecureRandom.bytes(16))
            var server = DataStream(role: .server, keyring: Keyring(keys: [serverKey]), labelHash: 1, sender: "b", nonce: SecureRandom.bytes(16))
            _ = client.feed(server.hello)
            _ = server.feed(client.hello)
            let framed = client.message(Array("request".utf8))!
            return server.feed(framed)
        }
        #expect(try pair(key).get() == [.message(Array("request".utf8), sender: "a")])
        #expect(throws: DropReason.self) { try pair(other).get() }
        var unready = DataStream(role: .client, keyring: nil, labelHash: 1, sender: "a", nonce: SecureRandom.bytes(16))
        #expect(unready.message([1]) == nil, "nothing is written before the peer's hello")
    }

    @Test func percentEncodingRoundTripsAndRefusesBadEscapes() {
        for text in ["plain.txt", "a b+c", "ünï.md", "a/b?c=d&e"] {
            #expect(Percent.decode(Substring(Percent.encode(text))) == text)
        }
        #expect(Percent.decode("%2Fetc%2Fpasswd") == "/etc/passwd")
        #expect(Percent.decode("%zz") == nil && Percent.decode("%4") == nil && Percent.decode("%FF") == nil)
        #expect(Percent.query("name=a%0Ab&x=1")?.first?.1 == "a\nb")
    }
}
