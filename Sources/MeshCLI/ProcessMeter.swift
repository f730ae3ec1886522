import Foundation
import Glibc

/// What `mesh bench` reads from /proc, exactly as shared/bench/serf/serf-idle.sh does for Serf:
/// bytes sent on the loopback interface (IP headers included), CPU ticks and resident memory per process.
enum ProcessMeter {
    /// Bytes transmitted on `lo` so far (/proc/net/dev, the first transmit column).
    static func loopbackTransmitBytes() -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/net/dev", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == "lo" else { continue }
            let fields = parts[1].split(separator: " ")
            return fields.count > 8 ? UInt64(fields[8]) : nil
        }
        return nil
    }

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

    /// The idle cost of `pids` over `seconds`: loopback bytes per node per second, mean RSS (kB, at
    /// the end) and mean CPU percent per node.
    struct IdleCost {
        var bytesPerNodePerSecond: Double
        var residentKilobytes: Double
        var cpuPercent: Double
    }

    static func idleCost(of pids: [pid_t], seconds: Double) -> IdleCost {
        let bytesBefore = loopbackTransmitBytes() ?? 0
        let ticksBefore = pids.reduce(0) { $0 + (cpuTicks($1) ?? 0) }
        usleep(useconds_t(seconds * 1_000_000))
        let bytesAfter = loopbackTransmitBytes() ?? 0
        let ticksAfter = pids.reduce(0) { $0 + (cpuTicks($1) ?? 0) }
        let count = Double(max(1, pids.count))
        let rss = pids.reduce(0) { $0 + (residentKilobytes($1) ?? 0) }
        return IdleCost(bytesPerNodePerSecond: Double(bytesAfter &- bytesBefore) / seconds / count,
                        residentKilobytes: Double(rss) / count,
                        cpuPercent: Double(ticksAfter &- ticksBefore) / ticksPerSecond / seconds / count * 100)
    }
}
