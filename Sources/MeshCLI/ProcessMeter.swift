import Foundation
import Glibc
import MeshRuntime

/// What `mesh bench` reads from /proc for the mesh and for Serf alike: CPU ticks and resident
/// memory per process. Traffic comes from each system's own counters (`IdleTraffic`), never from
/// the loopback interface, which every other process on the machine shares.
enum ProcessMeter {
    /// User plus system CPU ticks of `pid` (/proc/PID/stat fields 14 and 15).
    static func cpuTicks(_ pid: pid_t) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // Fields after the command name start at field 3 (state).
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { return nil }
        return user + system
    }

    /// Resident memory of `pid` in kB (VmRSS).
    static func residentKilobytes(_ pid: pid_t) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return line.split(separator: " ").dropFirst().first.flatMap { UInt64($0) }
        }
        return nil
    }

    /// Clock ticks per second (CLK_TCK).
    static var ticksPerSecond: Double { Double(sysconf(Int32(_SC_CLK_TCK))) }

    /// The idle cost of `pids` over `seconds`: bytes per node per second from `traffic` (the
    /// system's own counters, read at both ends of the window), mean RSS (kB, at the end) and mean
    /// CPU percent per node.
    struct IdleCost {
        var bytesPerNodePerSecond: Double
        var residentKilobytes: Double
        var cpuPercent: Double
    }

    static func idleCost(of pids: [pid_t], seconds: Double, traffic: () -> IdleTraffic?) -> IdleCost {
        let trafficBefore = traffic()
        let ticksBefore = pids.reduce(0) { $0 + (cpuTicks($1) ?? 0) }
        let start = SystemClock.monotonicNanoseconds()
        usleep(useconds_t(seconds * 1_000_000))
        let trafficAfter = traffic()
        let elapsed = Double(SystemClock.monotonicNanoseconds() - start) / 1e9
        let ticksAfter = pids.reduce(0) { $0 + (cpuTicks($1) ?? 0) }
        let count = Double(max(1, pids.count))
        let rss = pids.reduce(0) { $0 + (residentKilobytes($1) ?? 0) }
        var bytes = Double.nan
        if let trafficBefore, let trafficAfter { bytes = Double(trafficAfter.bytes &- trafficBefore.bytes) / elapsed / count }
        return IdleCost(bytesPerNodePerSecond: bytes, residentKilobytes: Double(rss) / count,
                        cpuPercent: Double(ticksAfter &- ticksBefore) / ticksPerSecond / elapsed / count * 100)
    }
}
