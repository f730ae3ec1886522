/// Why an input from the network was dropped. Every drop is counted by reason, never fatal.
/// Raw values name the counters in `mesh status --json` and `/v1/health`.
public enum DropReason: String, CaseIterable, Sendable, Comparable, Error {
    /// Shorter than its header or a declared length.
    case truncated
    /// Over a named size limit.
    case oversized
    /// A field holds an impossible value.
    case malformed
    /// A message kind this build does not know.
    case unknownMessageType
    /// A wire protocol version outside the range this build reads.
    case unsupportedVersion
    /// Another mesh's cluster label.
    case wrongLabel
    /// This node has keys and the packet carries no tag.
    case unauthenticated
    /// The tag verifies under none of the keyring's keys.
    case badTag
    /// The packet carries a tag and this node has no key to check it.
    case unexpectedTag
    /// A ping meant for another member name (a restarted node with a new name at the old address).
    case wrongTarget
    /// More messages than one datagram may carry.
    case tooManyMessages
    /// A message that makes no sense here (for example a push-pull inside a datagram).
    case unexpectedMessage

    public static func < (lhs: DropReason, rhs: DropReason) -> Bool { lhs.rawValue < rhs.rawValue }

    init(_ error: DecodeError) {
        switch error {
        case .truncated: self = .truncated
        case .oversized: self = .oversized
        case .malformed: self = .malformed
        case .unknownMessageType: self = .unknownMessageType
        }
    }
}

/// Counts of dropped inputs by reason.
public struct DropCounters: Sendable, Equatable {
    private var counts: [UInt64] = Array(repeating: 0, count: DropReason.allCases.count)

    public init() {}

    private static func index(_ reason: DropReason) -> Int {
        DropReason.allCases.firstIndex(of: reason)!
    }

    public mutating func count(_ reason: DropReason) { counts[DropCounters.index(reason)] += 1 }

    public subscript(reason: DropReason) -> UInt64 { counts[DropCounters.index(reason)] }

    /// All drops.
    public var total: UInt64 { counts.reduce(0, +) }

    /// Non-zero counters, by reason name.
    public var nonZero: [(DropReason, UInt64)] {
        DropReason.allCases.compactMap { self[$0] > 0 ? ($0, self[$0]) : nil }
    }
}
