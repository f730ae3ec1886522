import Foundation
import Glibc
import MeshCore
import MeshRuntime

/// One kill-9 detection run of `mesh bench detect`, measured the same way for the mesh and for
/// Serf: SIGKILL the victim, poll every other node in parallel every 100 ms, and take for each
/// observer the time from the kill until it first reports the victim dead. `DetectionSummary`
/// turns those times into the run's figures.
enum DetectionRun {
    /// How long a run waits for each observer to report the victim dead.
    static let deadlineSeconds: Double = 120

    /// Seconds per observer of `cluster` (nil for one that never saw it within `timeout`).
    static func measure(cluster: LocalCluster, victim: Int, pollInterval: Double = 0.1,
                        timeout: Double = deadlineSeconds) -> [Double?] {
        let victimName = cluster.names[victim]
        let times = measure(observers: (0..<cluster.count).filter { $0 != victim }, pollInterval: pollInterval,
                            timeout: timeout, kill: { cluster.process(victim)?.signal(SIGKILL) }) { observer in
            cluster.status(observer, timeout: .milliseconds(500))?.member(victimName)?.state == "dead"
        }
        _ = cluster.process(victim)?.waitForExit(timeout: 5)
        return times
    }

    /// Seconds per observer from `kill()` until `isDead(observer)` first held (nil for one where
    /// it never did within `timeout`); every observer is polled on a thread of its own.
    static func measure(observers: [Int], pollInterval: Double = 0.1, timeout: Double = deadlineSeconds,
                        kill: () -> Void, isDead: @escaping @Sendable (Int) -> Bool) -> [Double?] {
        let lock = NSLock()
        nonisolated(unsafe) var results = [Double?](repeating: nil, count: observers.count)
        let group = DispatchGroup()
        let start = SystemClock.monotonicNanoseconds()
        kill()
        for (slot, observer) in observers.enumerated() {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                while true {
                    let dead = isDead(observer)
                    let elapsed = Double(SystemClock.monotonicNanoseconds() - start) / 1e9
                    if dead {
                        lock.lock()
                        results[slot] = elapsed
                        lock.unlock()
                        return
                    }
                    if elapsed > timeout { return }
                    usleep(useconds_t(pollInterval * 1_000_000))
                }
            }
            thread.start()
        }
        group.wait()
        lock.lock()
        defer { lock.unlock() }
        return results
    }

    /// The median of `values` (the mean of the middle two for an even count); NaN for none.
    /// Infinite values (observers that never saw the death) sort last and make the median
    /// infinite once they reach the middle.
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// The q-quantile of `values` by nearest rank (as `mesh sim` computes its quantiles); NaN for none.
    static func quantile(_ values: [Double], _ q: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        let rank = max(0, min(sorted.count - 1, Int((q * Double(sorted.count)).rounded(.up)) - 1))
        return sorted[rank]
    }

    /// Seconds with three decimals, or `inf` for a death some observer never saw.
    static func seconds(_ value: Double) -> String {
        value.isFinite ? String(format: "%.3f", value) : "inf"
    }
}

/// One run's figures over its observers. An observer that never reported the victim dead within
/// the run's deadline counts as infinitely late: it is never left out, so it shows in `median`
/// once enough observers missed, and always in `all`.
struct DetectionSummary: Equatable {
    /// From the kill until the median observer reported the victim dead.
    var median: Double
    /// From the kill until every observer had reported the victim dead (infinite if one never did).
    var all: Double
    /// Observers that never reported the victim dead within the deadline.
    var missed: Int

    /// The summary of per-observer times, nil for an observer that never saw the death.
    init(_ times: [Double?]) {
        let seconds = times.map { $0 ?? .infinity }
        median = DetectionRun.median(seconds)
        all = seconds.max() ?? .nan
        missed = times.filter { $0 == nil }.count
    }

    /// A summary from figures already known.
    init(median: Double, all: Double, missed: Int) {
        self.median = median
        self.all = all
        self.missed = missed
    }

    /// `detect_s=… all_s=… missed=…`, the run's part of the output line.
    var line: String {
        "detect_s=\(DetectionRun.seconds(median)) all_s=\(DetectionRun.seconds(all)) missed=\(missed)"
    }
}
