/// Why an input from the network was dropped. Every drop is counted by reason, never fatal.
/// Raw values name the counters in `mesh status --json` and `/v1/health`.
public enum DropReason: String, CaseIterable, Sendable, Comparable, Error {
    /// Shorter than its header or a declared length.
    case truncated
    /// Over a named size limit.
    case oversized
    /// A field holds an impossible value.
    case malformed
    /// A message kind this build does not know (a newer sender's): that message is skipped, the
    /// rest of its datagram is handled.
    case unknownMessageType
    /// A datagram whose sender's protocol range does not overlap this build's.
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
    /// A member name that breaks the name rule (letters, digits, `-_.`, 1 to 64 bytes): that
    /// message (or the whole push-pull) is dropped, so no control character reaches a log or terminal.
    case badName
    /// A counter (incarnation) in the top half of its range, above `WireLimits.counterMax`: that
    /// message (or the whole push-pull) is dropped.
    case counterOutOfRange
    /// A push-pull from a member whose protocol range does not overlap ours: refused, not merged.
    case incompatibleVersion
    /// A new member while the member table holds `MembershipSettings.membersMax`: not added.
    case memberTableFull
    /// An ack, nack or indirect ack from an address that could not have sent it (neither the probed
    /// member nor a relay asked for that probe): a replayed or forged answer.
    case unexpectedAnswer
    /// A stream message whose content speaks for a member other than the one its frames were
    /// authenticated as (a push-pull must list its sender first).
    case senderMismatch

    public static func < (lhs: DropReason, rhs: DropReason) -> Bool { lhs.rawValue < rhs.rawValue }

    init(_ error: DecodeError) {
        switch error {
        case .truncated: self = .truncated
        case .oversized: self = .oversized
        case .malformed: self = .malformed
        case .unknownMessageType: self = .unknownMessageType
        case .badName: self = .badName
        case .counterOutOfRange: self = .counterOutOfRange
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
