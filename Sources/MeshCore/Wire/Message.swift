/// A member's state as the protocol sees it.
///
/// Legal transitions at one incarnation: alive → suspect → dead, and alive/suspect → left. A higher
/// incarnation resets to whatever its message says. At equal incarnation the larger rank wins
/// (left > dead > suspect > alive), so "newer wins" is one comparison of `(incarnation, rank)`.
public enum MemberStatus: UInt8, Comparable, Sendable, CaseIterable, CustomStringConvertible {
    case alive = 0
    case suspect = 1
    case dead = 2
    case left = 3

    public static func < (lhs: MemberStatus, rhs: MemberStatus) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .alive: "alive"
        case .suspect: "suspect"
        case .dead: "dead"
        case .left: "left"
        }
    }

    /// True for dead and left: the member takes no part in probing.
    public var isDown: Bool { self >= .dead }
}

/// Direct probe: "are you `target`?" Answered with `ack(sequence)` to the sender's address.
public struct Ping: Equatable, Sendable {
    public var sequence: UInt32
    public var target: String
    public var source: String
    public init(sequence: UInt32, target: String, source: String) {
        self.sequence = sequence; self.target = target; self.source = source
    }
}

/// Indirect probe request: "please ping `target` at `targetAddress` for me".
public struct PingRequest: Equatable, Sendable {
    public var sequence: UInt32
    public var target: String
    public var targetAddress: Address
    public init(sequence: UInt32, target: String, targetAddress: Address) {
        self.sequence = sequence; self.target = target; self.targetAddress = targetAddress
    }
}

/// "`name` is alive at `incarnation`, reachable at `address`, with this metadata."
public struct Alive: Equatable, Sendable {
    public var incarnation: UInt64
    public var name: String
    public var address: Address
    public var meta: Bytes
    public init(incarnation: UInt64, name: String, address: Address, meta: Bytes) {
        self.incarnation = incarnation; self.name = name; self.address = address; self.meta = meta
    }
}

/// "`from` suspects (or declares dead) `name` at `incarnation`."
public struct Accusation: Equatable, Sendable {
    public var incarnation: UInt64
    public var name: String
    public var from: String
    public init(incarnation: UInt64, name: String, from: String) {
        self.incarnation = incarnation; self.name = name; self.from = from
    }
}

/// "`name` leaves the mesh on purpose at `incarnation`": never mistaken for a failure.
public struct Leave: Equatable, Sendable {
    public var incarnation: UInt64
    public var name: String
    public init(incarnation: UInt64, name: String) { self.incarnation = incarnation; self.name = name }
}

/// One member in a push-pull state exchange.
public struct MemberState: Equatable, Sendable {
    public var name: String
    public var address: Address
    public var incarnation: UInt64
    public var status: MemberStatus
    public var meta: Bytes
    public init(name: String, address: Address, incarnation: UInt64, status: MemberStatus, meta: Bytes) {
        self.name = name; self.address = address; self.incarnation = incarnation
        self.status = status; self.meta = meta
    }
}

/// Full-state anti-entropy exchange, over a stream. `join` marks the first exchange of a new member.
/// `versions` is the sender's protocol range: a state from a sender whose range does not overlap
/// ours is refused (`incompatibleVersion`), never merged.
///
/// `capacities` is an optional section after the member states (protocol 3): nil when absent. A
/// sender writes it only to a peer known to speak protocol 3, because version 2 readers refuse
/// trailing bytes; readers from version 3 on skip sections they do not know.
public struct PushPull: Equatable, Sendable {
    public var versions: ProtocolRange
    public var join: Bool
    public var members: [MemberState]
    /// The sender's capacity records (itself and every member it holds one for), or nil.
    public var capacities: [CapacityRecord]?
    public init(versions: ProtocolRange = MeshVersion.protocolRange, join: Bool, members: [MemberState],
                capacities: [CapacityRecord]? = nil) {
        self.versions = versions; self.join = join; self.members = members; self.capacities = capacities
    }
}

/// Every membership message. The raw values of `Message.Kind` are wire protocol: append only.
public enum Message: Equatable, Sendable {
    case ping(Ping)
    case ack(sequence: UInt32)
    case nack(sequence: UInt32)
    case pingRequest(PingRequest)
    case indirectAck(sequence: UInt32)
    case alive(Alive)
    case suspect(Accusation)
    case dead(Accusation)
    case leave(Leave)
    case pushPull(PushPull)
    /// A member's capacity record (protocol 3; older builds skip and count it).
    case capacity(CapacityRecord)
    case roundTripQuery(RoundTripQuery)
    case roundTripAnswer(RoundTripAnswer)

    /// Wire tags. Append only: a number once used keeps its meaning forever. A reader skips (and
    /// counts) a tag it does not know, so a newer build may add kinds without a new minimum version.
    public enum Kind: UInt8, Sendable {
        case ping = 1
        case ack = 2
        case nack = 3
        case pingRequest = 4
        case indirectAck = 5
        case alive = 6
        case suspect = 7
        case dead = 8
        case leave = 9
        case pushPull = 10
        case capacity = 11
        // 12…39 are left for the kinds other work in progress adds (tasks use streams, 0x40…0x4F).
        /// Stream only: `mesh rtt A B` asks member A for its round trip to B.
        case roundTripQuery = 40
        case roundTripAnswer = 41
    }

    public var kind: Kind {
        switch self {
        case .ping: .ping
        case .ack: .ack
        case .nack: .nack
        case .pingRequest: .pingRequest
        case .indirectAck: .indirectAck
        case .alive: .alive
        case .suspect: .suspect
        case .dead: .dead
        case .leave: .leave
        case .pushPull: .pushPull
        case .capacity: .capacity
        case .roundTripQuery: .roundTripQuery
        case .roundTripAnswer: .roundTripAnswer
        }
    }
}
