/// Why one of this node's exchanges (a join or a push-pull over a stream) did not complete, as far
/// as this side can honestly tell. A peer that refuses our key closes the stream without saying why
/// (it counts the reason in its own drops), so "closed before answering" is the most this side
/// learns then; a different cluster label, a missing key or a protocol range that does not overlap
/// show in the peer's hello, which this side checks itself.
public enum ExchangeFailure: Sendable, Equatable, CustomStringConvertible {
    /// No connection: it could not be made, or broke before the peer's hello (refused, unreachable,
    /// reset). The shell may know more (the system's reason).
    case noConnection
    /// The peer closed the stream before sending its hello.
    case closedBeforeHello
    /// The peer sent its hello, then closed or cut the stream without answering our request.
    case closedBeforeAnswer
    /// The stream's deadline passed, before the peer's hello or after it.
    case timedOut(helloReceived: Bool)
    /// The peer's hello or frames failed this node's checks, for `reason`.
    case refused(DropReason)
    /// The answer arrived but is not a state this node can merge.
    case badAnswer

    /// False when the exchange ended before the peer's hello: the request goes out only after it,
    /// so the peer never saw it (a retry elsewhere cannot duplicate it).
    public var mayHaveSentRequest: Bool {
        switch self {
        case .noConnection, .closedBeforeHello, .timedOut(helloReceived: false): false
        default: true
        }
    }

    /// One line for an operator.
    public var description: String {
        switch self {
        case .noConnection: "no connection (refused, unreachable or reset)"
        case .closedBeforeHello: "the peer closed the connection before its hello"
        case .closedBeforeAnswer:
            "the peer closed the stream without answering: it refused our request (a different key?"
                + " its log and drop counters say why)"
        case .timedOut(let helloReceived):
            helloReceived ? "timed out: the peer sent its hello but no answer" : "timed out: no answer from the peer"
        case .refused(let reason): Self.describe(reason)
        case .badAnswer: "the peer's answer could not be merged (see the drop counters)"
        }
    }

    private static func describe(_ reason: DropReason) -> String {
        switch reason {
        case .wrongLabel: "the peer belongs to another cluster (a different cluster label)"
        case .badTag: "the peer's frames do not verify with our keys (a different key)"
        case .unauthenticated: "the peer runs without a key, and this node requires one"
        case .unexpectedTag: "the peer requires a key, and this node has none"
        case .unsupportedVersion: "the peer speaks no protocol version this node understands"
        default: "the peer's stream failed our checks (\(reason.rawValue))"
        }
    }
}
