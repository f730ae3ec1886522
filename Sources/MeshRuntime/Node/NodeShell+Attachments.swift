import Dispatch
import MeshCore

/// `POST /v1/attachments?name=NAME` (issue 10 §2): the body (raw bytes, `Content-Type:
/// application/octet-stream`, `Content-Length` required and within the node's limit) is streamed
/// into the blob store, hashed as it is written, fsynced and named by its hash; the answer is
/// `201 {"name","size","sha256"}`, which a submission names in its `attachments`. A bad name or
/// a body over the limit is refused before a byte is stored (`400`, `411`, `413`).
extension NodeShell {
    /// Answers the head of an upload; returns the sink for its body, or nil after refusing it.
    func attachmentUpload(_ request: HTTPRequest, length: Int, respond: @escaping (HTTPResponse) -> Void) -> HTTPUploadSink? {
        guard let data else {
            respond(.error(503, "\(options.name) has no data directory to hold attachments in (start it with --data)"))
            return nil
        }
        guard let pairs = Percent.query(request.query), pairs.count == 1, pairs[0].0 == "name" else {
            respond(Self.fieldError(TaskFieldError("name", "give the attachment's name once: /v1/attachments?name=NAME")))
            return nil
        }
        let name = pairs[0].1
        if let problem = TaskFile.nameError(name) {
            respond(Self.fieldError(TaskFieldError("name", problem)))
            return nil
        }
        guard request.headers["content-length"] != nil else {
            respond(.error(411, "an attachment upload needs a Content-Length"))
            return nil
        }
        guard UInt64(length) <= data.attachmentBytesMax else {
            respond(.error(413, "attachment '\(name)' is \(length) bytes; this node takes at most \(data.attachmentBytesMax) bytes per attachment"))
            return nil
        }
        let writer: BlobWriter
        do { writer = try data.blobs.writer(bytesMax: UInt64(length)) } catch {
            respond(.error(500, error.description))
            return nil
        }
        return BlobUpload(name: name, writer: writer, respond: QueuedResponder(queue: queue, respond))
    }

    /// Why a submission's attachments cannot be taken here, or nil: each blob must be held by
    /// this (the entry) node, and the sizes must be within its limits.
    func attachmentsProblem(_ spec: TaskSpec) -> TaskFieldError? {
        guard !spec.attachments.isEmpty else { return nil }
        guard let data else { return TaskFieldError("attachments", "\(options.name) has no data directory to hold attachments in") }
        var total: UInt64 = 0
        for file in spec.attachments {
            total = total &+ file.size
            if file.size > data.attachmentBytesMax {
                return TaskFieldError("attachments", "'\(file.name)' is over the limit of \(data.attachmentBytesMax) bytes per attachment")
            }
            if !data.blobs.holds(file) {
                return TaskFieldError("attachments", "'\(file.name)' (\(file.sha256Hex)) was not uploaded to \(options.name): POST it to /v1/attachments first")
            }
        }
        if total > data.attachmentsTotalBytesMax {
            return TaskFieldError("attachments", "together \(total) bytes, over the limit of \(data.attachmentsTotalBytesMax) bytes per task")
        }
        return nil
    }
}

/// One upload's body on its way into the blob store: written and hashed on a queue of its own
/// (never the node's), committed when the last byte has come.
final class BlobUpload: HTTPUploadSink, @unchecked Sendable {
    private static let queue = DispatchQueue(label: "mesh.attachment-upload")
    private let name: String
    private let writer: BlobWriter
    private let respond: QueuedResponder
    private var failure: BlobError?

    init(name: String, writer: BlobWriter, respond: QueuedResponder) {
        self.name = name; self.writer = writer; self.respond = respond
    }

    func receive(_ bytes: Bytes) {
        Self.queue.async { [self] in
            guard failure == nil else { return }
            do throws(BlobError) { try writer.write(bytes) } catch { failure = error }
        }
    }

    func finish() {
        Self.queue.async { [self] in
            if let failure { return respond(.error(500, failure.description)) }
            do throws(BlobError) {
                let file = try writer.commit(name: name)
                respond(.json(file.json, status: 201))
            } catch {
                respond(.error(500, error.description))
            }
        }
    }

    func abort() { Self.queue.async { [self] in writer.abort() } }
}
