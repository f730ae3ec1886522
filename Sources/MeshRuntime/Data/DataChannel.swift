import Glibc
import MeshCore

/// One data stream over a TCP socket, driven by a thread of its own (blocking with deadlines on a
/// non-blocking socket): the client connects, sends `DataStream.marker` and its hello, then one
/// request; the server answers with replies. Frames are those of every stream (`DataStream`).
/// Every wait has a deadline of `idleTimeout` from its start: a peer that goes silent is dropped.
final class DataChannel {
    /// A peer silent this long is given up on (a following log sends a heartbeat well within it).
    static let idleTimeout: Nanoseconds = .seconds(20)
    /// Bytes read per `recv`.
    static let readBytes = 256 * 1024

    let fd: Int32
    let peer: String
    private var stream: DataStream
    private var messages: [(Bytes, String)] = []
    private var messageIndex = 0
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: DataChannel.readBytes, alignment: 8)
    /// The frames of the message being sent, kept from message to message (no allocation per chunk).
    private var outgoing = Bytes()
    /// Stream bytes sent and received (for the transfer counters).
    private(set) var bytesSent: UInt64 = 0
    private(set) var bytesReceived: UInt64 = 0

    private init(fd: Int32, peer: String, stream: DataStream) {
        self.fd = fd; self.peer = peer; self.stream = stream
    }

    deinit {
        closeDescriptor(fd)
        buffer.deallocate()
    }

    /// Connects to member `address` (from the node's own bind IP) and waits for its hello.
    static func connect(to address: Address, from bind: Address?, identity: DataIdentity) throws(DataFailure) -> DataChannel {
        let deadline = SystemClock.monotonicNanoseconds() + idleTimeout
        let fd: Int32
        do { (fd, _) = try Sockets.connect(to: .ipv4(address), from: bind) } catch {
            throw DataFailure("cannot connect to \(address): \(error.reason)")
        }
        let channel = DataChannel(fd: fd, peer: address.description, stream: identity.stream(.client))
        do throws(ControlClient.Failure) {
            try ControlClient.wait(fd, for: Int16(POLLOUT), until: deadline, endpoint: channel.peer)
        } catch { throw DataFailure("cannot connect to \(address): \(error)") }
        let pending = Sockets.pendingError(fd)
        guard pending == 0 else { throw DataFailure("cannot connect to \(address): \(SystemError(call: "connect", code: pending).reason)") }
        try channel.sendRaw([DataStream.marker] + channel.stream.hello)
        try channel.waitReady()
        return channel
    }

    /// The server's side of an accepted socket whose first byte is the marker (not yet read).
    static func accepted(fd: Int32, peer: String, identity: DataIdentity) throws(DataFailure) -> DataChannel {
        let channel = DataChannel(fd: fd, peer: peer, stream: identity.stream(.server))
        var marker: UInt8 = 0
        guard recv(fd, &marker, 1, 0) == 1, marker == DataStream.marker else { throw DataFailure("no data stream marker") }
        try channel.sendRaw(channel.stream.hello)
        try channel.waitReady()
        return channel
    }

    /// Sends one message.
    func send(_ payload: Bytes) throws(DataFailure) {
        try send(prefix: [], payload)
    }

    /// Sends `prefix` followed by `payload` as one message (a reply's kind byte and a file's bytes,
    /// framed straight from the read buffer: one copy, into a buffer kept from message to message).
    func send(prefix: Bytes, _ payload: Bytes) throws(DataFailure) {
        outgoing.removeAll(keepingCapacity: true)
        let ready = payload.withUnsafeBytes { stream.append(prefix: prefix, $0, to: &outgoing) }
        guard ready else { throw DataFailure("the stream is not ready") }
        try sendRaw(outgoing)
    }

    /// The next whole message and its authenticated sender.
    func receive() throws(DataFailure) -> (Bytes, String) {
        while messageIndex >= messages.count {
            messages.removeAll(keepingCapacity: true)
            messageIndex = 0
            try readMore()
        }
        defer { messageIndex += 1 }
        return messages[messageIndex]
    }

    private func waitReady() throws(DataFailure) {
        while !stream.isReady { try readMore() }
    }

    private func readMore() throws(DataFailure) {
        let deadline = SystemClock.monotonicNanoseconds() + Self.idleTimeout
        while true {
            let count: Int?
            do { count = try Sockets.receive(fd, into: buffer) } catch { throw DataFailure("\(peer): \(error.reason)") }
            guard let count else {
                do throws(ControlClient.Failure) { try ControlClient.wait(fd, for: Int16(POLLIN), until: deadline, endpoint: peer) } catch {
                    throw DataFailure("\(peer) went silent")
                }
                continue
            }
            guard count > 0 else { throw DataFailure("\(peer) closed the stream") }
            bytesReceived &+= UInt64(count)
            switch stream.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) {
            case .failure(let reason): throw DataFailure("\(peer) sent a bad stream (\(reason))")
            case .success(let events):
                for case .message(let payload, let sender) in events { messages.append((payload, sender)) }
                return
            }
        }
    }

    private func sendRaw(_ bytes: Bytes) throws(DataFailure) {
        let deadline = SystemClock.monotonicNanoseconds() + Self.idleTimeout
        do throws(ControlClient.Failure) { try ControlClient.sendAll(bytes, on: fd, until: deadline, endpoint: peer) } catch {
            throw DataFailure("\(error)")
        }
        bytesSent &+= UInt64(bytes.count)
    }
}

/// Who this node is on data streams: its name, the keyring of the moment and the label.
struct DataIdentity: Sendable {
    var name: String
    var keyring: Keyring?
    var labelHash: UInt32

    func stream(_ role: DataStream.Role) -> DataStream {
        DataStream(role: role, keyring: keyring, labelHash: labelHash, sender: name, nonce: SecureRandom.bytes(StreamCodec.nonceBytes))
    }
}

/// Why a data stream failed, for a person.
public struct DataFailure: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
