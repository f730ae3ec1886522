/// The membership machine's timers.
public enum MembershipTimer: Hashable, Sendable {
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
    /// This node's capacity record may need a new version (its rate limit or refresh ran out).
    case capacity
}

/// What a timer is for: which machine asked, and which of its timers.
public enum TimerPurpose: Hashable, Sendable {
    /// A membership timer.
    case membership(MembershipTimer)
    /// The deadline of a stream: the exchange on it must be done (or the stream active) by then.
    case streamDeadline(StreamID)
    /// A task machine timer.
    case tasks(TaskTimer)
}

/// A timer the core asked for: its purpose and the generation of that arming.
///
/// Arming a purpose again supersedes the earlier arming: only the latest generation of a purpose
/// is live, so a timer that fires after it stopped mattering is ignored by construction and the
/// shell never needs to cancel anything.
public struct TimerID: Hashable, Sendable, CustomStringConvertible {
    public var purpose: TimerPurpose
    public var generation: UInt64
    public init(_ purpose: TimerPurpose, generation: UInt64) {
        self.purpose = purpose
        self.generation = generation
    }
    public var description: String { "\(purpose)#\(generation)" }
}

/// The live generation of every armed timer purpose.
struct TimerTable: Sendable {
    private var live: [TimerPurpose: UInt64] = [:]
    private var nextGeneration: UInt64 = 0

    /// Arms `purpose` again and returns the id the shell must report back.
    mutating func arm(_ purpose: TimerPurpose) -> TimerID {
        nextGeneration &+= 1
        live[purpose] = nextGeneration
        return TimerID(purpose, generation: nextGeneration)
    }

    /// True, once, when `timer` is the live arming of its purpose; false for a stale one.
    mutating func fire(_ timer: TimerID) -> Bool {
        guard live[timer.purpose] == timer.generation else { return false }
        live.removeValue(forKey: timer.purpose)
        return true
    }

    /// True when `timer` is the live arming of its purpose (firing it would do something).
    func isLive(_ timer: TimerID) -> Bool { live[timer.purpose] == timer.generation }

    /// Forgets `purpose`: a timer armed for it earlier will be ignored.
    mutating func disarm(_ purpose: TimerPurpose) { live.removeValue(forKey: purpose) }

}
