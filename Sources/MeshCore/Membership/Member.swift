/// What one node knows about one member of the mesh.
public struct Member: Sendable, Equatable {
    public var name: String
    public var address: Address
    public var incarnation: UInt64
    public var status: MemberStatus
    public var meta: Bytes
    /// When this node last saw the status change.
    public var statusChangedAt: Instant
    /// When this node last heard from the member directly (an ack to its own ping); `.zero` if never.
    public var lastHeardAt: Instant
    /// Round-trip time of the last direct probe, in microseconds; negative if unknown.
    public var roundTripMicroseconds: Int32
    /// Smoothed round-trip time of direct probes (RFC 6298's SRTT, gain 1/8), in microseconds;
    /// negative if unknown.
    public var roundTripSmoothedMicroseconds: Int32 = -1

    public init(name: String, address: Address, incarnation: UInt64, status: MemberStatus, meta: Bytes,
                statusChangedAt: Instant) {
        self.name = name; self.address = address; self.incarnation = incarnation; self.status = status
        self.meta = meta; self.statusChangedAt = statusChangedAt
        self.lastHeardAt = .zero; self.roundTripMicroseconds = -1
    }

    /// Folds one direct probe's round trip into the smoothed round trip: the first sample as is,
    /// then SRTT += (sample − SRTT) / 8, as TCP does (RFC 6298 §2).
    public mutating func smoothRoundTrip(_ sample: Int32) {
        guard sample >= 0 else { return }
        guard roundTripSmoothedMicroseconds >= 0 else { roundTripSmoothedMicroseconds = sample; return }
        let smoothed = Int64(roundTripSmoothedMicroseconds)
        roundTripSmoothedMicroseconds = Int32(clamping: smoothed + (Int64(sample) - smoothed) / 8)
    }

    public var state: MemberState {
        MemberState(name: name, address: address, incarnation: incarnation, status: status, meta: meta)
    }
}

/// The members one node knows, in a deterministic order (insertion order, with swap-removal).
///
/// Lookup by name goes through a dictionary, but nothing ever iterates that dictionary: every walk
/// and every random pick uses the `members` array, so Swift's per-process hash seed decides nothing.
public struct MemberTable: Sendable {
    public private(set) var members: [Member] = []
    private var indexByName: [String: Int32] = [:]

    public init() {}

    public var count: Int { members.count }

    public func index(of name: String) -> Int? { indexByName[name].map(Int.init) }

    public subscript(name: String) -> Member? {
        guard let i = indexByName[name] else { return nil }
        return members[Int(i)]
    }

    public subscript(index index: Int) -> Member {
        get { members[index] }
        set { members[index] = newValue }
    }

    /// Adds a member not yet in the table; returns its index.
    @discardableResult
    public mutating func insert(_ member: Member) -> Int {
        precondition(indexByName[member.name] == nil, "insert of known member \(member.name)")
        members.append(member)
        indexByName[member.name] = Int32(members.count - 1)
        return members.count - 1
    }

    /// Removes a member; the last member takes its slot.
    public mutating func remove(_ name: String) {
        guard let i = indexByName.removeValue(forKey: name).map(Int.init) else { return }
        let last = members.count - 1
        if i != last {
            members[i] = members[last]
            indexByName[members[i].name] = Int32(i)
        }
        members.removeLast()
    }

    public mutating func reserveCapacity(_ n: Int) {
        members.reserveCapacity(n)
        indexByName.reserveCapacity(n)
    }
}
