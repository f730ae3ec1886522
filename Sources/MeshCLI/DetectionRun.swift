import Foundation
import Glibc
import MeshCore
import MeshRuntime

/// One kill-9 detection run of `mesh bench detect`, measured as shared/bench/serf/serf-detect.sh
/// measures Serf: SIGKILL the victim, poll every other node in parallel every 100 ms, and take for
/// each observer the time from the kill until it first reports the victim dead.
enum DetectionRun {
    /// Seconds per observer (nil for one that never saw it within `timeout`).
    static func measure(cluster: LocalCluster, victim: Int, pollInterval: Double = 0.1, timeout: Double = 120) -> [Double?] {
        let observers = (0..<cluster.count).filter { $0 != victim }
        let lock = NSLock()
        nonisolated(unsafe) var results = [Double?](repeating: nil, count: observers.count)
        let group = DispatchGroup()
        let start = SystemClock.monotonicNanoseconds()
        cluster.process(victim)?.signal(SIGKILL)
        for (slot, observer) in observers.enumerated() {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                let victimName = cluster.names[victim]
                while true {
                    let state = cluster.status(observer, timeout: .milliseconds(500))?.member(victimName)?.state
                    let elapsed = Double(SystemClock.monotonicNanoseconds() - start) / 1e9
                    if state == "dead" {
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
        _ = cluster.process(victim)?.waitForExit(timeout: 5)
        lock.lock()
        defer { lock.unlock() }
        return results
    }

    /// The median of `values` (the mean of the middle two for an even count).
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
