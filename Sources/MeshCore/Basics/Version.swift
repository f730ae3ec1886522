/// The mesh's release version and the range of wire protocol versions it speaks.
public enum MeshVersion {
    public static let release = "0.1.0"
    /// Wire protocol version this build writes. 2: the datagram header carries a version range and
    /// push-pull carries the sender's range (version 1 carried one version byte). 3: capacity
    /// records (message kind 11 and a push-pull section that version 2 must never be sent).
    public static let protocolCurrent: UInt8 = 3
    /// The version a stream hello says its sender writes: 4 adds resumed task streams
    /// (`StreamCodec`: no hello round trip once a session exists; a client resumes only with a
    /// server whose hello said 4 or more). Datagrams and push-pull stay at `protocolCurrent`; a
    /// hello's range still overlaps every node's from `protocolMinimum` on.
    public static let streamCurrent: UInt8 = 4
    /// The first stream version with resumed streams.
    public static let resumeProtocol: UInt8 = 4
    /// The first protocol version with capacity records.
    public static let capacityProtocol: UInt8 = 3
    /// Oldest wire protocol version this build still reads and writes compatibly.
    public static let protocolMinimum: UInt8 = 2
    /// This build's range, as it travels in every datagram header and push-pull.
    public static let protocolRange = ProtocolRange(minimum: protocolMinimum, current: protocolCurrent)
}

/// A sender's wire protocol versions: the oldest it still speaks and the one it writes.
///
/// A sender whose range is `minimum...current` writes bytes that every version in that range can
/// read (a newer version only adds message kinds, which older readers skip and count). Two nodes
/// talk when their ranges overlap; otherwise each drops the other's input, counted by reason.
public struct ProtocolRange: Equatable, Sendable, CustomStringConvertible {
    /// Oldest protocol version the sender still speaks.
    public var minimum: UInt8
    /// Protocol version the sender writes.
    public var current: UInt8

    /// A range; `minimum > current` is a malformed range, which overlaps nothing.
    public init(minimum: UInt8, current: UInt8) {
        self.minimum = minimum; self.current = current
    }

    /// True when `minimum ≤ current`: a range any honest sender can have.
    public var isWellFormed: Bool { minimum <= current }

    /// True when both ranges are well formed and share at least one version.
    public func overlaps(_ other: ProtocolRange) -> Bool {
        isWellFormed && other.isWellFormed && minimum <= other.current && other.minimum <= current
    }

    public var description: String { "\(minimum)-\(current)" }

    /// True when a sender with this range reads capacity records (and push-pull sections).
    public var speaksCapacity: Bool { isWellFormed && current >= MeshVersion.capacityProtocol }
}
