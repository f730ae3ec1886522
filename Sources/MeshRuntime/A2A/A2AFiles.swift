import Dispatch
import MeshCore

/// File parts become attachments: each is written into this (the entry) node's blob store,
/// hashed and fsynced under its hash like a `POST /v1/attachments` upload, off the node's queue;
/// the task then names them, and its owner and replica fetch them before they store it.
extension NodeShell {
    /// Where file parts are written (never the node's queue: each blob is fsynced).
    static let a2aFileQueue = DispatchQueue(label: "mesh.a2a-files")

    /// Stores `files` as blobs, then calls `done` on the node's queue with their records, or with
    /// the error to answer (no data directory, a file over the limits, a disk error).
    func storeA2AFiles(_ files: [A2AMessage.File], _ done: @escaping (Result<[TaskFile], A2AError>) -> Void) {
        guard let data else {
            return done(.failure(.contentType("\(options.name) has no data directory to hold attachments in: send text parts")))
        }
        var total: UInt64 = 0
        for file in files {
            total = total &+ UInt64(file.bytes.count)
            guard UInt64(file.bytes.count) <= data.attachmentBytesMax else {
                return done(.failure(.invalidParams("'\(file.name)' is over the limit of \(data.attachmentBytesMax) bytes per attachment")))
            }
        }
        guard total <= data.attachmentsTotalBytesMax else {
            return done(.failure(.invalidParams("the files hold \(total) bytes, over the limit of \(data.attachmentsTotalBytesMax) per task")))
        }
        let blobs = data.blobs
        let finish = A2AFilesDone(queue: queue, done)
        Self.a2aFileQueue.async {
            var stored: [TaskFile] = []
            var failure: A2AError?
            for file in files where failure == nil {
                do throws(BlobError) {
                    stored.append(try Self.storeA2AFile(file, in: blobs))
                } catch {
                    failure = .internalError("could not store '\(file.name)': \(error)")
                }
            }
            let result: Result<[TaskFile], A2AError> = failure.map { .failure($0) } ?? .success(stored)
            finish(result)
        }
    }

    /// Writes one file part as a blob: hashed, fsynced, named by its hash; the temporary file is
    /// dropped when a step fails.
    static func storeA2AFile(_ file: A2AMessage.File, in blobs: BlobStore) throws(BlobError) -> TaskFile {
        let writer = try blobs.writer(bytesMax: UInt64(file.bytes.count))
        do throws(BlobError) {
            try writer.write(file.bytes)
            return try writer.commit(name: file.name)
        } catch {
            writer.abort()
            throw error
        }
    }
}

/// Hands the stored files back on the node's queue (the callback is confined to it).
private final class A2AFilesDone: @unchecked Sendable {
    private let queue: DispatchQueue
    private let done: (Result<[TaskFile], A2AError>) -> Void

    init(queue: DispatchQueue, _ done: @escaping (Result<[TaskFile], A2AError>) -> Void) {
        self.queue = queue; self.done = done
    }

    func callAsFunction(_ result: Result<[TaskFile], A2AError>) {
        queue.async { [self] in done(result) }
    }
}
