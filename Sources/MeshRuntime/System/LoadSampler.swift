import Glibc
import MeshCore

/// Measures the machine for the capacity record: the one-minute load average (`/proc/loadavg`),
/// available memory (`MemAvailable` in `/proc/meminfo`) and free disk of the data directory
/// (`statvfs`, what an unprivileged user may use). A figure it cannot read is 0, never an error.
public struct LoadSampler: Sendable {
    /// The directory whose file system's free space is reported.
    public let directory: String

    /// A sampler for the file system holding `directory`.
    public init(directory: String) { self.directory = directory }

    /// One measurement, now.
    public func sample() -> LocalLoad {
        LocalLoad(cpuLoadHundredths: Self.loadAverageHundredths(), memoryFreeBytes: Self.memoryAvailableBytes(),
                  diskFreeBytes: diskFreeBytes())
    }

    /// `/proc/loadavg`'s first field ("0.42 …") × 100.
    static func loadAverageHundredths() -> UInt64 {
        guard let text = try? Files.readText("/proc/loadavg", bytesMax: 4096),
              let first = text.split(separator: " ").first else { return 0 }
        return parseHundredths(String(first))
    }

    /// "12.34" → 1234, exactly (no floating point), clamped; 0 for anything else.
    static func parseHundredths(_ text: String) -> UInt64 {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = UInt64(parts[0]) else { return 0 }
        var fraction: UInt64 = 0
        if parts.count == 2 {
            let digits = (parts[1] + "00").prefix(2)
            guard let value = UInt64(digits) else { return 0 }
            fraction = value
        }
        return min(whole, CapacityLimits.cpuLoadHundredthsMax / 100) * 100 + fraction
    }

    /// `MemAvailable:  123456 kB` from `/proc/meminfo`, in bytes.
    static func memoryAvailableBytes() -> UInt64 {
        guard let text = try? Files.readText("/proc/meminfo", bytesMax: 64 * 1024) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.split(separator: " ")
            guard fields.count >= 2, let kibibytes = UInt64(fields[1]) else { return 0 }
            return kibibytes.multipliedReportingOverflow(by: 1024).overflow ? UInt64.max : kibibytes * 1024
        }
        return 0
    }

    func diskFreeBytes() -> UInt64 {
        var stats = statvfs()
        guard statvfs(directory, &stats) == 0 else { return 0 }
        let (bytes, overflow) = UInt64(stats.f_bavail).multipliedReportingOverflow(by: UInt64(stats.f_frsize))
        return overflow ? UInt64.max : bytes
    }
}
