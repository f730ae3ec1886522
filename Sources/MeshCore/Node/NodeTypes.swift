/// What a node needs to start: who it is, where it listens, whom to join, and how it behaves.
public struct NodeConfig: Sendable {
    /// Stable name: kept in the data directory so a restart keeps the node's identity.
    public var name: String
    /// The address other members reach this node at (UDP and TCP).
    public var address: Address
    /// Seed members to join through and to re-contact while partitioned.
    public var seeds: [Address]
    public var settings: MembershipSettings
    /// Keys for datagram authentication; nil runs unauthenticated (loopback use only).
    public var keyring: Keyring?
    /// Cluster label: two meshes with different labels never merge.
    public var label: String
    /// Seed of this node's random generator (probe order, gossip targets, jitter).
    public var randomSeed: UInt64
    /// The last incarnation a previous life of this node persisted; 0 for a new node.
    public var lastIncarnation: UInt64
    /// Metadata advertised with this node's alive messages (load and capacity), ≤ `metaBytesMax`.
    public var meta: Bytes

    public init(name: String, address: Address, seeds: [Address] = [], settings: MembershipSettings = .lan,
                keyring: Keyring? = nil, label: String = "", randomSeed: UInt64, lastIncarnation: UInt64 = 0,
                meta: Bytes = []) {
        self.name = name; self.address = address; self.seeds = seeds; self.settings = settings
        self.keyring = keyring; self.label = label; self.randomSeed = randomSeed
        self.lastIncarnation = lastIncarnation; self.meta = meta
    }

    /// Why a configuration cannot run; the shell prints it as one line.
    public func validationError() -> String? {
        if let problem = MemberName.validationError(name) { return problem }
        if label.utf8.count > WireLimits.labelBytesMax {
            return "cluster label must be at most \(WireLimits.labelBytesMax) bytes"
        }
        if meta.count > WireLimits.metaBytesMax {
            return "node metadata must be at most \(WireLimits.metaBytesMax) bytes"
        }
        return nil
    }
}

/// The timers a node asks its shell for. A timer that fires after it stopped mattering is ignored.
public enum TimerID: Hashable, Sendable {
    /// Start the next probe (one protocol period).
    case probe
    /// The direct ping of probe `sequence` got no ack in time: start indirect probes.
    case probeTimeout(UInt32)
    /// Probe `sequence` is over: no ack means suspicion.
    case probeDeadline(UInt32)
    /// A relayed ping (for another member's ping-req) got no ack: send the nack.
    case relayTimeout(UInt32)
    /// Gossip queued updates to a few random members.
    case gossip
    /// Full-state sync with one random member.
    case pushPull
    /// Re-contact seeds and recently dead members.
    case reconnect
    /// Retry joining through the seeds.
    case join
    /// The suspicion of this member may have run out.
    case suspicion(String)
    /// Forget members dead or left longer than the retention period.
    case reap
}

/// An outgoing stream (a TCP connection in the real shell) that carries one request and one reply.
public struct StreamID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var value: UInt64
    public init(_ value: UInt64) { self.value = value }
    public static func < (lhs: StreamID, rhs: StreamID) -> Bool { lhs.value < rhs.value }
    public var description: String { "stream#\(value)" }
}

/// What a node tells its shell to do, in order. Order is binding: a `persistIncarnation` must be
/// durable before any later `send` goes out.
public enum Directive: Sendable, Equatable {
    /// Send one datagram (already framed and tagged).
    case send(Bytes, to: Address)
    /// Call `timerFired(id)` at `at` (replacing nothing: a stale timer is ignored by the core).
    case setTimer(TimerID, at: Instant)
    /// Open a stream to `to`, send `payload` as one frame, and report the reply frame or a failure.
    case openStream(StreamID, to: Address, payload: Bytes)
    /// Write the incarnation to stable storage (write and fsync) before carrying out what follows.
    case persistIncarnation(UInt64)
    /// Something worth logging or measuring happened.
    case event(MeshEvent)
}

/// Things a node observed or decided, for logs, the simulator's measurements and the control API.
public enum MeshEvent: Sendable, Equatable {
    /// This node's view of a member changed (new member, new incarnation or new status).
    case memberChanged(name: String, status: MemberStatus, incarnation: UInt64, address: Address)
    /// A dead or left member was forgotten after the retention period.
    case memberForgotten(name: String)
    /// This node's own probe of `name` failed and it raised (or confirmed) a suspicion.
    case suspicionRaised(name: String, incarnation: UInt64)
    /// This node's suspicion of `name` ran out and it declared the member dead.
    case deathDeclared(name: String, incarnation: UInt64)
    /// Someone suspected or declared this node dead; it refuted with a higher incarnation.
    case refuted(incarnation: UInt64)
    /// The first state exchange with a seed succeeded.
    case joined(seed: Address)
    /// Another live node already uses this node's name: the shell must refuse to run.
    case duplicateName(address: Address)
    /// The graceful leave has been announced.
    case leaveAnnounced(incarnation: UInt64)
}
