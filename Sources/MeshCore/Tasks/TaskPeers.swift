/// The members as the task machine sees them at one input: built by `NodeInstance` from
/// membership (status, address) and capacity gossip (profiles, slots, busy, queue, tags).
struct TaskPeers: Sendable {
    struct Peer: Sendable {
        var address: Address
        var status: MemberStatus
        /// The member's incarnation as membership knows it (nil: listed down by a merged state,
        /// never known here). A higher one than before may mean it restarted.
        var incarnation: UInt64? = nil
    }
    let selfName: String
    /// Members other than this node, by name (lookups only; nothing iterates it).
    var peers: [String: Peer] = [:]
    /// Placement candidates: every member with a capacity record, this node included, name order.
    var candidates: [PlacementCandidate] = []
    /// Member name → tasks assigned (busy slots + queue length, summed over profiles).
    var assigned: [String: Int] = [:]
    /// Profiles advertised by any member, alive or not.
    var advertised: Set<String> = []
    /// Names of alive (or suspect) members other than this node, in name order.
    var aliveNames: [String] = []
    /// Names of every member known and not left (dead ones too) other than this node, name order.
    var knownNames: [String] = []
    /// Members known and not left, this node included; and of those, alive (suspect not counted).
    var knownCount = 1
    var upCount = 1
    /// True once this node joined the mesh (or has no one to join): before that it knows too
    /// little to judge anyone dead.
    var hasJoined = true
    /// True once this node merged another member's full state (a push-pull or join, either
    /// direction) in this life and knows every member it listed (`Membership.hasFullView`). A
    /// restarted node takes over a copy recovered from its log only then.
    var hasFullView = true
    /// The failure detector's suspicion timeout when every member confirms (how long a crashed
    /// member stays suspect at the most, short of a partition): `TaskMachine+Lapse`.
    var suspicionTimeoutMin: Nanoseconds = 0
    /// Changes whenever `candidates` may have changed (nil: unknown, nothing may be kept).
    var placementVersion: UInt64?
    /// The replica ring over `aliveNames` and this node, when the node kept one.
    var replicaRing: ReplicaRing?

    /// True when some member other than this node is dead or left.
    var hasDownMember: Bool { peers.count > aliveNames.count }

    func address(of name: String) -> Address? { peers[name]?.address }
    func status(of name: String) -> MemberStatus? { name == selfName ? .alive : peers[name]?.status }
    func isUp(_ name: String) -> Bool { status(of: name).map { !$0.isDown } ?? false }
    /// True when this node sees a strict majority of the members it knows up: the one side of a
    /// partition that may take over or re-replicate.
    var hasMajority: Bool { hasJoined && upCount * 2 > knownCount }

    /// The replica ring's choices for `key`, never this node, up to `count`.
    func replicaCandidates(key: String, count: Int) -> [String] {
        let ring = replicaRing ?? Self.replicaRing(aliveNames: aliveNames, selfName: selfName)
        return ring.replicas(forKeyHash: PlacementHash.keyHash(key), count: count, excluding: selfName)
    }

    /// The replica ring over `aliveNames` and `selfName`.
    static func replicaRing(aliveNames: [String], selfName: String) -> ReplicaRing {
        var alive = aliveNames.map { PlacementCandidate(name: $0) }
        alive.append(PlacementCandidate(name: selfName))
        return ReplicaRing(candidates: alive)
    }
}

extension NodeInstance {
    /// The members as the task machine sees them now: the value built last time while no member's
    /// name, address or status, no capacity record and nothing else it is built from changed
    /// (every task input asks for it); else built again, with the next placement version.
    mutating func taskPeers() -> TaskPeers {
        let members = membership.members.members
        let entries = membership.capacity.entriesInOrder
        let ownRecordMissing = membership.capacity.ownRecord == nil
        if !ownRecordMissing, let kept = taskPeersCache.kept(members: members, entries: entries, hasJoined: membership.hasJoined) {
            return kept
        }
        var peers = buildTaskPeers()
        peers.placementVersion = taskPeersCache.nextPlacementVersion()
        peers.replicaRing = taskPeersCache.replicaRing(aliveNames: peers.aliveNames, selfName: membership.name)
        if !ownRecordMissing { taskPeersCache.keep(peers, members: members, entries: entries, hasJoined: membership.hasJoined) }
        return peers
    }

    /// The members as the task machine sees them now (per-record parts from `taskPeersCache`).
    private mutating func buildTaskPeers() -> TaskPeers {
        var peers = TaskPeers(selfName: membership.name)
        var known = 1, up = 1
        for member in membership.members.members {
            peers.peers[member.name] = TaskPeers.Peer(address: member.address, status: member.status,
                                                       incarnation: member.incarnation)
            if member.status != .left { known += 1; peers.knownNames.append(member.name) }
            if !member.status.isDown { peers.aliveNames.append(member.name) }
            if member.status == .alive { up += 1 }
        }
        peers.hasJoined = membership.hasJoined
        peers.hasFullView = membership.hasFullView
        for listed in membership.membersListedDown where peers.hasFullView {
            // Known to the mesh as down, never to this node: counted as a member held dead.
            peers.peers[listed.name] = TaskPeers.Peer(address: listed.address, status: listed.status == .left ? .left : .dead)
            if listed.status != .left { known += 1; peers.knownNames.append(listed.name) }
        }
        peers.aliveNames.sort()
        peers.knownNames.sort()
        peers.knownCount = known
        peers.upCount = up
        peers.suspicionTimeoutMin = membership.suspicionTimeoutMin(members: membership.upCount + 1)
        let entries = membership.capacity.entriesInOrder
        for entry in entries {
            let record = entry.record
            let derived = taskPeersCache.derive(record)
            var candidate = derived.candidate
            candidate.isAlive = (record.name == membership.name || peers.isUp(record.name)) && !entry.isMemberDown
            peers.candidates.append(candidate)
            peers.assigned[record.name] = derived.assigned
        }
        peers.advertised = taskPeersCache.advertisedProfiles(of: entries.map(\.record))
        if membership.capacity.ownRecord == nil {
            // Before the first version of this node's record: its configured profiles.
            let desired = membership.capacity.desired
            var slots: [String: Int] = [:], tags: [String: [String]] = [:]
            for profile in desired.profiles {
                slots[profile.name] = profile.slots; tags[profile.name] = profile.tags
                peers.advertised.insert(profile.name)
            }
            peers.candidates.append(PlacementCandidate(name: membership.name, slots: slots, tags: desired.tags, profileTags: tags))
        }
        peers.candidates.sort { $0.name < $1.name }
        return peers
    }
}
