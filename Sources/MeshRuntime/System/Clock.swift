import Glibc
import MeshCore

/// The runtime's clocks: the monotonic clock drives every timer; the wall clock only labels records.
public enum SystemClock {
    /// Nanoseconds on the monotonic clock (CLOCK_MONOTONIC), which never jumps.
    public static func monotonicNanoseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }

    /// Milliseconds since the Unix epoch, from the wall clock.
    public static func wallMilliseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000 + Int64(time.tv_nsec) / 1_000_000
    }

    /// The current monotonic instant.
    public static func now() -> Instant { Instant(nanoseconds: monotonicNanoseconds()) }

    /// The moment passed to every core input.
    public static func moment() -> Moment { Moment(now: now(), wallMilliseconds: wallMilliseconds()) }
}
