/// Durations in the core are plain nanosecond counts: cheap to add and compare, and exact.
public typealias Nanoseconds = Int64

extension Nanoseconds {
    /// `seconds` whole seconds, in nanoseconds.
    @inlinable public static func seconds(_ seconds: Int64) -> Nanoseconds { seconds * 1_000_000_000 }
    /// `milliseconds` in nanoseconds.
    @inlinable public static func milliseconds(_ milliseconds: Int64) -> Nanoseconds { milliseconds * 1_000_000 }
    /// Fractional seconds, rounded to the nearest nanosecond.
    @inlinable public static func seconds(fraction seconds: Double) -> Nanoseconds {
        Nanoseconds((seconds * 1e9).rounded())
    }
}

/// A point on a monotonic clock, in nanoseconds from an arbitrary origin.
///
/// The core never reads a clock: every input carries the instant at which it happens.
public struct Instant: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    @inlinable public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static let zero = Instant(nanoseconds: 0)

    @inlinable public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
    @inlinable public static func + (lhs: Instant, rhs: Nanoseconds) -> Instant { Instant(nanoseconds: lhs.nanoseconds &+ rhs) }
    @inlinable public static func - (lhs: Instant, rhs: Instant) -> Nanoseconds { lhs.nanoseconds &- rhs.nanoseconds }

    /// Seconds since the origin, for reports.
    public var seconds: Double { Double(nanoseconds) / 1e9 }
    public var description: String { "\(seconds)s" }
}

/// The time of one input: the monotonic instant that drives every timer, and the wall-clock time
/// (milliseconds since the Unix epoch) used only for records people read.
public struct Moment: Sendable, Hashable {
    public var now: Instant
    public var wallMilliseconds: Int64

    public init(now: Instant, wallMilliseconds: Int64) {
        self.now = now
        self.wallMilliseconds = wallMilliseconds
    }
}
