@testable import MeshCore

/// Drives one node through virtual time in handler tests: keeps the timers it asks for and fires
/// them in time order, and hands every directive to an observer (which may answer with datagrams).
struct TimerDriver {
    var node: NodeInstance
    private(set) var timers: [(id: TimerID, at: Instant)] = []
    private(set) var now: Instant
    /// Every event the node reported, in order.
    private(set) var events: [MeshEvent] = []

    init(_ node: NodeInstance, at moment: Moment) {
        self.node = node
        self.now = moment.now
    }

    var moment: Moment { Moment(now: now, wallMilliseconds: 0) }

    /// Records the timers and events among `directives` and returns them.
    @discardableResult
    mutating func take(_ directives: [Directive]) -> [Directive] {
        for directive in directives {
            switch directive {
            case .setTimer(let id, let at): timers.append((id, at))
            case .event(let event): events.append(event)
            default: break
            }
        }
        return directives
    }

    mutating func start() -> [Directive] { take(node.start(at: moment)) }

    mutating func receive(_ datagram: Bytes, from sender: Address) -> [Directive] {
        take(node.receiveDatagram(datagram, from: sender, at: moment))
    }

    /// Fires the earliest timer at or before `deadline`; nil when there is none.
    mutating func fireNext(until deadline: Instant) -> [Directive]? {
        guard let next = timers.indices.min(by: { timers[$0].at < timers[$1].at }),
              timers[next].at <= deadline else { return nil }
        let timer = timers.remove(at: next)
        now = max(now, timer.at)
        return take(node.timerFired(timer.id, at: moment))
    }

    /// Fires timers in order until `deadline` (at most `stepsMax` of them), passing each batch of
    /// directives to `observe`.
    mutating func run(until deadline: Instant, stepsMax: Int = 100_000,
                      observe: (inout TimerDriver, [Directive]) -> Void = { _, _ in }) {
        for _ in 0..<stepsMax {
            guard let directives = fireNext(until: deadline) else { break }
            observe(&self, directives)
        }
        now = max(now, deadline)
    }
}
