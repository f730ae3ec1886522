import Foundation
import Glibc
import MeshCore

/// The node's data plane (issue 10 §2, §4): attachment blobs, attempt logs and artifacts move
/// between nodes over data streams (`DataStream`, authenticated like every stream) on threads of
/// their own, never through the core or the node's queue. It serves peers' requests, fetches blobs
/// for `fetchFiles`, and reads (locally or from another member) for the HTTP API.
/// Thread-safe: its little shared state is behind a lock.
public final class DataPlane: @unchecked Sendable {
    /// Data streams served at once; past it a new one is closed at once.
    public static let servingMax = 16
    /// Bytes an upload or fetch may take at most, settable per node (`--attachment-max`).
    public let attachmentBytesMax: UInt64
    /// Bytes one task's attachments may take together, settable per node.
    public let attachmentsTotalBytesMax: UInt64

    public let blobs: BlobStore
    let files: DataFiles
    private let bind: Address?
    private let lock = NSLock()
    private var identity: DataIdentity
    private var runs: [RunID: (TaskID, UInt32)] = [:]
    private var serving = 0
    private var tallies = Counters()
    /// What the data plane did, for `/v1/health`.
    public var counters: Counters { lock.withLock { tallies } }

    /// Counters of the data plane.
    public struct Counters: Sendable {
        public var served: UInt64 = 0
        public var refused: UInt64 = 0
        public var failed: UInt64 = 0
        public var blobsFetched: UInt64 = 0
    }

    /// A data plane for the node `name` with data directory `dataPath`.
    public init(dataPath: String, name: String, keyring: Keyring?, labelHash: UInt32, bind: Address?,
                attachmentBytesMax: UInt64 = TaskLimits.attachmentBytesDefault,
                attachmentsTotalBytesMax: UInt64 = TaskLimits.attachmentsTotalBytesDefault) throws(SystemError) {
        blobs = try BlobStore(dataPath: dataPath)
        identity = DataIdentity(name: name, keyring: keyring, labelHash: labelHash)
        self.bind = bind
        self.attachmentBytesMax = attachmentBytesMax
        self.attachmentsTotalBytesMax = attachmentsTotalBytesMax
        let box = RunsBox()
        files = DataFiles(dataPath: dataPath, blobs: blobs) { task, attempt in box.plane?.isRunning(task, attempt) ?? false }
        box.plane = self
    }

    /// The keyring changed (an operator's `keys`): new streams use the new one.
    public func setKeyring(_ keyring: Keyring?) { lock.withLock { identity.keyring = keyring } }

    /// An attempt started here (its log is followed until `runEnded`).
    public func runStarted(_ run: AgentRun) {
        guard let task = TaskID(run.task) else { return }
        lock.withLock { runs[run.run] = (task, run.attempt) }
    }

    /// An attempt here ended.
    public func runEnded(_ run: RunID) { _ = lock.withLock { runs.removeValue(forKey: run) } }

    /// True while the attempt runs here.
    public func isRunning(_ task: TaskID, _ attempt: UInt32) -> Bool {
        lock.withLock { runs.values.contains { $0.0 == task && $0.1 == attempt } }
    }

    func count(_ change: (inout Counters) -> Void) { lock.withLock { change(&tallies) } }

    private var currentIdentity: DataIdentity { lock.withLock { identity } }

    // MARK: Serving peers

    /// An accepted connection whose first byte is `DataStream.marker`: served on a thread of its
    /// own, or closed when `servingMax` are being served.
    func serve(fd: Int32, peer: String) {
        let admitted = lock.withLock { () -> Bool in
            guard serving < Self.servingMax else { tallies.refused &+= 1; return false }
            serving += 1
            return true
        }
        guard admitted else { return closeDescriptor(fd) }
        let thread = Thread { [self] in
            defer { lock.withLock { serving -= 1 } }
            do throws(DataFailure) {
                let channel = try DataChannel.accepted(fd: fd, peer: peer, identity: currentIdentity)
                let (payload, _) = try channel.receive()
                guard let request = DataRequest.decode(payload) else { throw DataFailure("bad request") }
                try files.answer(request) { (reply) throws(DataFailure) in
                    // A chunk is framed straight from the file's read buffer (no joined copy).
                    if case .chunk(let bytes) = reply { try channel.send(prefix: [DataReply.chunkKind], bytes) } else { try channel.send(reply.encoded()) }
                }
                lock.withLock { tallies.served &+= 1 }
            } catch {
                lock.withLock { tallies.failed &+= 1 }
            }
        }
        thread.name = "mesh.data-serve"
        thread.start()
    }

    // MARK: Reading for this node

    /// Reads `request` from member `address`, or from this node's own files when nil, handing each
    /// reply to `reply` in order. Blocks: call it on a thread of its own.
    public func read(_ request: DataRequest, from address: Address?, _ reply: (DataReply) throws(DataFailure) -> Void) throws(DataFailure) {
        guard let address else { return try files.answer(request, reply) }
        let channel = try DataChannel.connect(to: address, from: bind, identity: currentIdentity)
        try channel.send(request.encoded())
        while true {
            let (payload, _) = try channel.receive()
            guard let message = DataReply.decode(payload) else { throw DataFailure("\(address) sent a bad reply") }
            try reply(message)
            if case .end = message { return }
            if case .head(let status, _, _) = message, status != DataReply.ok { return }
        }
    }
}

/// Lets the file reader, made in `init`, reach the plane once it exists.
private final class RunsBox: @unchecked Sendable {
    weak var plane: DataPlane?
}
