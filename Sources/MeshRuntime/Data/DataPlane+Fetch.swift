import Foundation
import MeshCore

/// `fetchFiles`: before a node stores a task with attachments, it holds every blob (issue 10 §2).
extension DataPlane {
    /// Fetches every blob of `fetch` this node does not hold, each from the first source that has
    /// it, checked against its size and hash and made durable before it takes its name; then calls
    /// `done` with nil, or with why a blob could not be had. On a thread of its own.
    public func fetch(_ fetch: FileFetch, done: @escaping @Sendable (String?) -> Void) {
        let thread = Thread { [self] in done(fetchNow(fetch)) }
        thread.name = "mesh.data-fetch"
        thread.start()
    }

    private func fetchNow(_ fetch: FileFetch) -> String? {
        var total: UInt64 = 0
        for file in fetch.files {
            total = total &+ file.size
            guard file.size <= attachmentBytesMax else { return "attachment '\(file.name)' is over this node's limit of \(attachmentBytesMax) bytes" }
            guard total <= attachmentsTotalBytesMax else { return "the attachments are over this node's limit of \(attachmentsTotalBytesMax) bytes per task" }
        }
        for file in fetch.files where !blobs.holds(file) {
            var problems: [String] = []
            for source in fetch.sources {
                do throws(DataFailure) {
                    try fetchBlob(file, from: source)
                    count { $0.blobsFetched &+= 1 }
                    break
                } catch {
                    problems.append(error.description)
                }
            }
            guard blobs.holds(file) else {
                let why = problems.isEmpty ? "no member to fetch it from" : problems.suffix(2).joined(separator: "; ")
                return "attachment '\(file.name)' (\(file.sha256Hex)) could not be fetched: \(why)"
            }
        }
        return nil
    }

    /// One blob from one member: written as it arrives, committed only when whole and correct.
    private func fetchBlob(_ file: TaskFile, from source: Address) throws(DataFailure) {
        let writer: BlobWriter
        do { writer = try blobs.writer(bytesMax: file.size) } catch { throw DataFailure(error.description) }
        var complete = false
        try read(.blob(file), from: source) { (reply) throws(DataFailure) in
            switch reply {
            case .head(let status, let size, let text):
                guard status == DataReply.ok else { throw DataFailure("\(source): \(text)") }
                guard size == file.size else { throw DataFailure("\(source) holds \(size) bytes, not \(file.size)") }
            case .chunk(let bytes):
                do throws(BlobError) { try writer.write(bytes) } catch { throw DataFailure(error.description) }
            case .end(let whole, let reason):
                guard whole else { throw DataFailure("\(source): \(reason)") }
                complete = true
            }
        }
        guard complete else { writer.abort(); throw DataFailure("\(source) ended the blob early") }
        do { _ = try writer.commit(name: file.name, expected: file) } catch { throw DataFailure(error.description) }
    }
}
