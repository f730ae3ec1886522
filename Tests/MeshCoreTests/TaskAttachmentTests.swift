import Testing
@testable import MeshCore

/// Attachments in the task model (issue 10 §2): the spec's field, its codec and JSON, and the rule
/// that a node stores a task with attachments only once its shell holds every blob.
struct TaskAttachmentTests {
    static let file = TaskFile(name: "notes.md", size: 1_234, sha256: SHA256.hash(Array("notes".utf8)))

    static func spec(_ key: String, files: [TaskFile] = [file]) -> TaskSpec {
        var spec = TaskSpec(profile: "shell", prompt: "read the inbox", idempotencyKey: key)
        spec.attachments = files
        return spec
    }

    @Test func aSpecWithAttachmentsRoundTripsAndOneWithoutIsEncodedAsBefore() throws {
        let spec = Self.spec("k", files: [Self.file, TaskFile(name: "b.bin", size: 0, sha256: SHA256.hash([]))])
        var w = ByteWriter()
        TaskCodec.write(spec, to: &w)
        var r = ByteReader(w.bytes)
        #expect(try TaskCodec.readSpec(&r) == spec)
        var plain = TaskSpec(profile: "shell", prompt: "x", idempotencyKey: "k")
        var before = ByteWriter()
        TaskCodec.write(plain, to: &before)
        #expect(before.bytes.suffix(3) == [1, 1, UInt8(ascii: "k")], "flags byte 1, then the key: what version 1 always wrote")
        plain.idempotencyKey = nil
        var none = ByteWriter()
        TaskCodec.write(plain, to: &none)
        #expect(none.bytes.last == 0)
    }

    @Test func hostileAttachmentRecordsAreRefusedOnDecode() {
        var w = ByteWriter()
        TaskCodec.write(Self.spec("k"), to: &w)
        var traversal = w.bytes
        let name = Array("notes.md".utf8)
        let at = traversal.indices.first { Array(traversal[$0..<min($0 + name.count, traversal.count)]) == name }!
        traversal.replaceSubrange(at..<(at + 8), with: Array("../a.txt".utf8))
        var r = ByteReader(traversal)
        #expect(throws: DecodeError.self) { try TaskCodec.readSpec(&r) }
        var unknownFlag = w.bytes
        let flags = unknownFlag.count - (1 + 1 + name.count + 2 + 32) - 1
        unknownFlag[flags] |= 0x80
        var r2 = ByteReader(unknownFlag)
        #expect(throws: DecodeError.self) { try TaskCodec.readSpec(&r2) }
    }

    @Test(arguments: [
        (#"[{"name":"../x","size":1,"sha256":"\#(String(repeating: "0", count: 64))"}]"#, "base name"),
        (#"[{"name":"a\u0007","size":1,"sha256":"\#(String(repeating: "0", count: 64))"}]"#, "control characters"),
        (#"[{"name":"a","size":1,"sha256":"xyz"}]"#, "64 hex digits"),
        (#"[{"name":"a","size":-1,"sha256":"\#(String(repeating: "0", count: 64))"}]"#, "whole number"),
        (#"[{"name":"prompt.md","size":1,"sha256":"\#(String(repeating: "0", count: 64))"}]"#, "reserved"),
        (#"[{"name":"a","size":1,"sha256":"\#(String(repeating: "0", count: 64))"},{"name":"a","size":2,"sha256":"\#(String(repeating: "1", count: 64))"}]"#, "named twice"),
    ])
    func badAttachmentsInASubmissionNameTheField(_ attachments: String, _ why: String) {
        let body = #"{"profile":"shell","prompt":"x","attachments":\#(attachments)}"#
        #expect(throws: TaskFieldError.self) { try TaskSubmission.parse(body) }
        do { _ = try TaskSubmission.parse(body) } catch {
            #expect(error.field == "attachments" && error.message.contains(why), "\(error)")
        }
    }

    @Test func aSubmissionWithAttachmentsReadsBackFromItsJSON() throws {
        let spec = Self.spec("j")
        #expect(try TaskSubmission.parse(TaskSubmission.json(spec).serialized()) == spec)
    }

    @Test func ownerAndReplicaEachHoldTheBlobsBeforeTheyStoreTheTask() {
        let cluster = TaskCluster(size: 3)
        let request = cluster.submit(Self.spec("blobs"), via: 0)
        cluster.run(for: .milliseconds(300))
        let id = TaskID.idempotent(key: "blobs")
        #expect(cluster.acceptance(request)?.copies == 2, "\(String(describing: cluster.replies[request]))")
        let holders = (0..<3).filter { cluster.record(id, at: $0) != nil }
        #expect(holders.count == 2)
        for holder in holders where holder != 0 {
            // Node 0 is the entry: the blobs were uploaded to it. Every other copy fetched them first.
            let fetch = cluster.fetches.first { $0.node == holder && $0.fetch.task == id }
            #expect(fetch?.fetch.files == [Self.file], "n\(holder) fetched the blob before storing")
            #expect(fetch?.fetch.sources.isEmpty == false)
            #expect(cluster.record(id, at: holder)?.spec.attachments == [Self.file])
        }
    }

    @Test func aTaskWhoseBlobsCannotBeFetchedIsRefusedWithTheReason() {
        let cluster = TaskCluster(size: 3)
        cluster.failingFetches = [0, 1, 2]
        let id = TaskID.idempotent(key: "lost")
        // Submit through a node that is not the owner, so that the owner must fetch.
        let placed = TaskCluster.placementOwner(cluster, id: id)
        let entry = (0..<3).first { $0 != placed }!
        let request = cluster.submit(Self.spec("lost"), via: entry)
        cluster.run(for: .seconds(12))
        guard case .taskRefused(let refusal)? = cluster.replies[request] else {
            Issue.record("expected a refusal, got \(String(describing: cluster.replies[request]))")
            return
        }
        #expect(refusal.description.contains("attachments") || refusal.description.contains("second copy"), "\(refusal)")
        #expect(cluster.fetches.contains { $0.fetch.task == id })
    }
}

extension TaskCluster {
    /// The node a fresh submission of `id` would be placed on (the one that stores it as owner),
    /// found by submitting a twin with no attachments and looking.
    static func placementOwner(_ cluster: TaskCluster, id: TaskID) -> Int? {
        let twin = TaskCluster(size: 3)
        var spec = TaskAttachmentTests.spec("lost", files: [])
        spec.idempotencyKey = "lost"
        twin.submit(spec, via: 0)
        twin.run(for: .milliseconds(300))
        return twin.owner(of: id)
    }
}
