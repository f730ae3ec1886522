import Dispatch
import MeshCore

/// Why an outgoing stream exchange did not produce a reply.
enum StreamFailure: Error, Equatable, CustomStringConvertible {
    /// The connection could not be made or broke (refused, reset, closed early, timed out).
    case connection(Connection.Ending)
    /// The peer's bytes failed framing or authentication; counted as a stream drop.
    case dropped(DropReason)
    /// The socket could not even be created or bound.
    case system(SystemError)

    var description: String {
        switch self {
        case .connection(let ending): "\(ending)"
        case .dropped(let reason): "rejected: \(reason.rawValue)"
        case .system(let error): error.description
        }
    }
}

/// The connecting side of one stream exchange: connect (from the node's own address), read the
/// hello, send the request, read and verify the reply, close. Bounded by one timeout for the whole
/// exchange. Confined to `queue` like its `Connection`.
final class StreamClient: @unchecked Sendable {
    private let framing: StreamFraming
    private let payload: Bytes
    private let clientNonce = SecureRandom.bytes(StreamFraming.nonceBytes)
    private var serverNonce: Bytes?
    private var result: Result<Bytes, StreamFailure>?
    private var completion: ((Result<Bytes, StreamFailure>) -> Void)?

    private init(framing: StreamFraming, payload: Bytes, completion: @escaping (Result<Bytes, StreamFailure>) -> Void) {
        self.framing = framing
        self.payload = payload
        self.completion = completion
    }

    /// Runs one exchange; `completion` is called exactly once, on `queue`, never before this returns.
    static func exchange(to destination: Address, from source: Address?, payload: Bytes, framing: StreamFraming,
                         timeout: Nanoseconds, queue: DispatchQueue,
                         completion: @escaping (Result<Bytes, StreamFailure>) -> Void) {
        let client = StreamClient(framing: framing, payload: payload, completion: completion)
        let connection: Connection
        do {
            connection = try Connection.connecting(to: .ipv4(destination), from: source, queue: queue,
                                                   inputBytesMax: framing.frameBytesMax + 64)
        } catch {
            queue.async { client.finish(.failure(.system(error))) }
            return
        }
        connection.onInput = { connection in client.received(on: connection) }
        connection.onClose = { _, ending in
            client.finish(.failure(.connection(ending)))
        }
        connection.start(timeout: timeout)
    }

    private func received(on connection: Connection) {
        if serverNonce == nil {
            switch framing.parseHello(connection.input) {
            case .needMore:
                return
            case .dropped(let reason):
                finish(.failure(.dropped(reason)))
                connection.close()
                return
            case .complete(let nonce, let consumed):
                serverNonce = nonce
                connection.consume(consumed)
                connection.send(framing.request(payload, serverNonce: nonce, clientNonce: clientNonce))
            }
        }
        guard let serverNonce else { return }
        switch framing.parseReply(connection.input, serverNonce: serverNonce, clientNonce: clientNonce) {
        case .needMore:
            return
        case .dropped(let reason):
            finish(.failure(.dropped(reason)))
            connection.close()
        case .complete(let reply, _):
            finish(.success(reply))
            connection.close()
        }
    }

    private func finish(_ outcome: Result<Bytes, StreamFailure>) {
        guard let completion else { return }
        self.completion = nil
        completion(outcome)
    }
}
