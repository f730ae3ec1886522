import MeshCore

/// One membership event as `GET /v1/events` and `mesh monitor` report it.
public struct MembershipEventRecord: Equatable, Sendable {
    /// Position in the node's event log, from 1; a reader resumes after the last one it saw.
    public var sequence: UInt64
    /// UTC time the node saw it (RFC 3339 with milliseconds).
    public var time: String
    /// `join`, `suspect`, `alive` (a suspect refuted), `update` (an alive member's new incarnation),
    /// `dead`, `left`, `forgotten`; for the node itself also `refuted`.
    public var kind: String
    /// The member the event is about (the node itself for `refuted` and its own `left`).
    public var member: String
    /// The member's incarnation at the event; nil for `forgotten`.
    public var incarnation: UInt64?
    /// The member's address at the event; nil for `forgotten`.
    public var address: String?

    public init(sequence: UInt64, time: String, kind: String, member: String, incarnation: UInt64?, address: String?) {
        self.sequence = sequence; self.time = time; self.kind = kind; self.member = member
        self.incarnation = incarnation; self.address = address
    }

    /// `{"sequence", "time", "event", "member", "incarnation", "address"}`; unknown values are null.
    public var json: JSONValue {
        .object([
            ("sequence", .unsigned(sequence)), ("time", .string(time)), ("event", .string(kind)),
            ("member", .string(member)), ("incarnation", incarnation.map(JSONValue.unsigned) ?? .null),
            ("address", address.map(JSONValue.string) ?? .null),
        ])
    }
}

/// The node's recent membership events in a fixed-size ring: the newest `capacity` are kept, and a
/// reader that falls further behind is told how many it missed. Nothing grows with slow readers.
struct EventLog {
    /// Events kept (the oldest is overwritten first).
    static let capacity = 1024
    /// Events in one answer: a reader far behind catches up over several requests.
    static let eventsPerAnswerMax = 256

    private var ring: [MembershipEventRecord] = []
    private var oldestIndex = 0
    /// The sequence of the newest event; 0 before any.
    private(set) var lastSequence: UInt64 = 0

    /// What a reader at `cursor` gets: the events after it (at most `eventsPerAnswerMax`), the
    /// cursor to ask with next, and how many events after `cursor` were already overwritten.
    struct Batch {
        var events: [MembershipEventRecord]
        var next: UInt64
        var missed: UInt64
    }

    /// Appends an event, numbering it.
    mutating func append(kind: String, member: String, incarnation: UInt64?, address: String?, time: String) {
        lastSequence += 1
        let record = MembershipEventRecord(sequence: lastSequence, time: time, kind: kind, member: member,
                                           incarnation: incarnation, address: address)
        if ring.count < EventLog.capacity {
            ring.append(record)
        } else {
            ring[oldestIndex] = record
            oldestIndex = (oldestIndex + 1) % EventLog.capacity
        }
    }

    /// The events after `cursor`. A cursor beyond the newest event comes from an earlier life of
    /// the node (its log starts again at 1 after a restart) or is made up: it reads as 0.
    func after(_ cursor: UInt64) -> Batch {
        let cursor = cursor > lastSequence ? 0 : cursor
        let oldestSequence = lastSequence - UInt64(ring.count) + 1
        let missed = ring.isEmpty || cursor + 1 >= oldestSequence ? 0 : oldestSequence - cursor - 1
        let first = max(cursor + 1, oldestSequence)
        var events: [MembershipEventRecord] = []
        var sequence = first
        while sequence <= lastSequence && events.count < EventLog.eventsPerAnswerMax {
            let offset = Int(sequence - oldestSequence)
            events.append(ring[(oldestIndex + offset) % ring.count])
            sequence += 1
        }
        return Batch(events: events, next: events.last?.sequence ?? max(cursor, first - 1), missed: missed)
    }
}

/// How the shell names a core event for `mesh monitor`, given the member's previous status (nil
/// when unknown). Nil for events that are not about a member's membership.
enum MonitorEvent {
    static func kind(of status: MemberStatus, previous: MemberStatus?) -> String {
        switch status {
        case .alive:
            guard let previous, !previous.isDown else { return "join" }
            return previous == .suspect ? "alive" : "update"
        case .suspect: return "suspect"
        case .dead: return "dead"
        case .left: return "left"
        }
    }
}
