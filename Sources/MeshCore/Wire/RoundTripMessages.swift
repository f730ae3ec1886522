/// "What is your round trip to `target`?": sent over a stream by a node whose operator asked
/// `mesh rtt A B` of a member A that is not itself. Answered by `RoundTripAnswer` on the same stream.
public struct RoundTripQuery: Equatable, Sendable {
    /// The member whose round trip is asked for.
    public var target: String
    public init(target: String) { self.target = target }
}

/// A member's own measurement of its direct probes to `target`, in microseconds; nil when it has
/// none (it does not know `target`, or never had an ack from it). On the wire a u32 each, all ones
/// for nil; anything above `Int32.max` reads as nil.
public struct RoundTripAnswer: Equatable, Sendable {
    /// The member the round trip is to.
    public var target: String
    /// Smoothed round trip (RFC 6298 SRTT), microseconds.
    public var smoothedMicroseconds: Int32?
    /// Round trip of the last direct probe, microseconds.
    public var lastMicroseconds: Int32?
    public init(target: String, smoothedMicroseconds: Int32?, lastMicroseconds: Int32?) {
        self.target = target; self.smoothedMicroseconds = smoothedMicroseconds; self.lastMicroseconds = lastMicroseconds
    }

    static func encode(_ microseconds: Int32?) -> UInt32 { microseconds.map { UInt32(max(0, $0)) } ?? .max }
    static func decode(_ raw: UInt32) -> Int32? { raw <= UInt32(Int32.max) ? Int32(raw) : nil }
}
