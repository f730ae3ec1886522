/// Capacity gossip, carried by membership: this node's record gets a new version when its content
/// changed (rate-limited) or its refresh is due, and rides the same broadcast queue, piggyback and
/// push-pull as membership updates, under its own key so it never displaces one.
extension Membership {
    /// True when this node speaks capacity records (protocol 3 and later). A node configured to
    /// play an older build (`NodeConfig.versions`) neither makes nor reads them.
    var speaksCapacity: Bool { codec.versions.speaksCapacity }

    /// How many times each member sends one capacity record.
    var capacityRetransmitLimit: Int {
        max(1, capacity.settings.retransmitMultiplier) * MembershipSettings.logScale(members: upCount)
    }

    /// A new measurement of the machine from the shell.
    mutating func localLoadChanged(_ load: LocalLoad) {
        capacity.setLocalLoad(load)
        scheduleCapacityVersion()
    }

    /// Makes a version now when one is due, else arms the capacity timer for when it will be.
    mutating func scheduleCapacityVersion() {
        guard speaksCapacity, !isLeaving else { return }
        let due = capacity.nextVersionAt(members: upCount + 1, transmits: capacityRetransmitLimit)
        if due <= currentTime {
            let record = capacity.makeVersion(now: currentTime, incarnation: incarnation)
            emit(.event(.capacityVersionMade(incarnation: record.incarnation, version: record.version)))
            enqueueCapacity(record)
            scheduleCapacityVersion()
        } else if capacityTimerAt != due {
            capacityTimerAt = due
            emit(.setTimer(.capacity, at: due))
        }
    }

    /// The capacity timer fired.
    mutating func capacityTimerFired() {
        capacityTimerAt = nil
        scheduleCapacityVersion()
    }

    mutating func enqueueCapacity(_ record: CapacityRecord) {
        enqueueBroadcast(.capacity, about: record.name, .capacity(record))
    }

    /// A record from the wire (a datagram or a push-pull): taken and passed on when newer.
    mutating func receiveCapacity(_ record: CapacityRecord) {
        let member = members[record.name]
        guard capacity.take(record, now: currentTime, memberIsDown: member.map(\.status.isDown)) else { return }
        emit(.event(.capacityTaken(name: record.name, incarnation: record.incarnation, version: record.version)))
        if member?.status.isDown != true { enqueueCapacity(record) }
    }

    /// The capacity section to send `peer` in a push-pull: nil unless both sides speak it (a
    /// version 2 reader refuses trailing bytes).
    func capacitySection(for peer: ProtocolRange?) -> [CapacityRecord]? {
        guard speaksCapacity, let peer, peer.speaksCapacity else { return nil }
        return capacity.records
    }

    /// Notes the protocol range `peer` last sent, so a push-pull to it knows what it reads.
    mutating func notePeerVersions(_ range: ProtocolRange, at peer: Address) {
        if peerVersions[peer] == range { return }
        if peerVersions.count >= Self.peerVersionsMax { peerVersions.removeAll(keepingCapacity: true) }
        peerVersions[peer] = range
    }

    /// Addresses whose protocol range this node remembers; past it the memory starts again.
    static let peerVersionsMax = 32_768
}

extension MembershipSettings {
    /// ⌈log10(n + 2)⌉ for a node that knows `members` up members besides itself: the factor of
    /// every retransmit limit.
    public static func logScale(members: Int) -> Int {
        let n = Double(members + 2)
        var scale = 1
        var power = 10.0
        while power < n { power *= 10; scale += 1 }
        return scale
    }
}

extension Message {
    /// When a datagram's messages are handled: membership updates (0), then capacity records (1),
    /// then pings (2).
    var handlingStage: Int {
        switch self {
        case .capacity: 1
        case .ping: 2
        default: 0
        }
    }
}

extension Membership {
    /// This node just joined: its record, made when it knew no one, went out with a retransmit
    /// limit for a mesh of one. Queue it again (same version) so it spreads as far as one made now.
    mutating func capacityJoined() {
        guard speaksCapacity, !isLeaving, let own = capacity.ownRecord else { return }
        enqueueCapacity(own)
    }
}
