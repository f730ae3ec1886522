import Foundation
import Glibc
import MeshCore
import MeshRuntime

/// `mesh bench wal`: the write-ahead log's figures on this disk (issue 9 §4). Raw fsync latency is
/// one appender doing append + fsync of a 1 KiB record, one at a time; group-commit throughput is
/// N appenders each doing append + `sync(covering:)` in a loop, so one fsync carries every record
/// appended while the one before it ran.
struct WALBench {
    /// Samples of the raw latency, at most.
    static let samplesMax = 100_000
    /// Appender threads, at most.
    static let appendersMax = 256

    let directory: String
    let samples: Int
    let appenderCounts: [Int]
    let seconds: Double
    let recordBytes: Int

    /// Counts fsyncs under the real calls.
    final class CountingFiles: LogFileLayer, @unchecked Sendable {
        private let lock = NSLock()
        private var syncs = 0
        var fsyncCount: Int { lock.withLock { syncs } }
        func write(_ descriptor: Int32, _ buffer: UnsafeRawBufferPointer, at offset: Int) -> Int {
            SystemLogFiles.shared.write(descriptor, buffer, at: offset)
        }
        func sync(_ descriptor: Int32) -> Int32 {
            lock.withLock { syncs += 1 }
            return SystemLogFiles.shared.sync(descriptor)
        }
        func syncDirectory(_ path: String) -> Int32 { SystemLogFiles.shared.syncDirectory(path) }
    }

    /// Runs both measurements and prints them (text, or one JSON object).
    func run(json: Bool) throws -> Int32 {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let latencies = try rawLatencies()
        var rows: [(appenders: Int, perSecond: Double, perFsync: Double)] = []
        for appenders in appenderCounts { rows.append(try groupCommit(appenders: appenders)) }
        let p50 = Self.quantile(latencies, 0.5), p99 = Self.quantile(latencies, 0.99)
        if json {
            let groups = rows.map { JSONValue.object([("appenders", .integer(Int64($0.appenders))),
                                                      ("recordsPerSecond", .number($0.perSecond.rounded())),
                                                      ("recordsPerFsync", .number(($0.perFsync * 10).rounded() / 10))]) }
            print(JSONValue.object([
                ("directory", .string(directory)), ("recordBytes", .integer(Int64(recordBytes))),
                ("fsync", .object([("samples", .integer(Int64(latencies.count))), ("p50Ms", .number(p50 * 1e3)),
                                   ("p99Ms", .number(p99 * 1e3)), ("meanMs", .number(latencies.reduce(0, +) / Double(latencies.count) * 1e3))])),
                ("groupCommit", .array(groups)),
            ]).serialized())
        } else {
            print("write-ahead log on \(directory), \(recordBytes)-byte records")
            print(String(format: "append+fsync, one at a time (%d samples): p50 %.3f ms  p99 %.3f ms", latencies.count, p50 * 1e3, p99 * 1e3))
            for row in rows {
                print(String(format: "group commit, %3d appenders: %9.0f records/s  %6.1f records per fsync", row.appenders, row.perSecond, row.perFsync))
            }
        }
        return 0
    }

    private var record: LogRecord { LogRecord(kind: 1, body: Bytes(repeating: 0x5A, count: recordBytes)) }

    /// Seconds per append + fsync, one record at a time.
    private func rawLatencies() throws -> [Double] {
        let path = directory + "/raw.log"
        let (log, _) = try WriteAheadLog.open(path: path)
        var latencies: [Double] = []
        latencies.reserveCapacity(samples)
        for _ in 0..<samples {
            let start = SystemClock.now()
            try log.append(record)
            try log.sync()
            latencies.append(Double(SystemClock.now() - start) / 1e9)
        }
        return latencies
    }

    /// Records per second and records per fsync with `appenders` threads appending and syncing.
    private func groupCommit(appenders: Int) throws -> (appenders: Int, perSecond: Double, perFsync: Double) {
        let path = directory + "/group-\(appenders).log"
        let files = CountingFiles()
        let (log, _) = try WriteAheadLog.open(path: path, files: files)
        let before = files.fsyncCount
        let record = self.record
        let deadline = SystemClock.now() + Nanoseconds.seconds(fraction: seconds)
        let start = SystemClock.now()
        // Threads of their own: concurrentPerform would run only as many at once as there are CPUs.
        let group = DispatchGroup()
        for _ in 0..<appenders {
            group.enter()
            Thread {
                defer { group.leave() }
                while SystemClock.now() < deadline {
                    guard let position = try? log.append(record), (try? log.sync(covering: position)) != nil else { return }
                }
            }.start()
        }
        group.wait()
        let elapsed = Double(SystemClock.now() - start) / 1e9
        let records = Double(log.syncedPosition)
        let fsyncs = max(1, files.fsyncCount - before)
        return (appenders, records / elapsed, records / Double(fsyncs))
    }

    static func quantile(_ values: [Double], _ q: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))]
    }
}

extension MeshCommandLine {
    /// `mesh bench wal`, from the bench command's arguments.
    static func runWALBench(_ arguments: ParsedArguments) throws -> Int32 {
        let samples = try arguments.integer("samples", default: 1_000, in: 10...WALBench.samplesMax)
        let seconds = try arguments.integer("seconds", default: 2, in: 1...600)
        let recordBytes = try arguments.integer("record-bytes", default: 1_024, in: 1...(1 << 20))
        var counts = [1, 4, 16, 64]
        if let text = arguments.value("appenders") {
            let parsed = text.split(separator: ",").compactMap { Int($0) }
            guard !parsed.isEmpty, parsed.count == text.split(separator: ",").count,
                  parsed.allSatisfy({ (1...WALBench.appendersMax).contains($0) }) else {
                throw UsageError("--appenders must be a comma-separated list of counts from 1 to \(WALBench.appendersMax) (got '\(text)')")
            }
            counts = parsed
        }
        let base = arguments.value("dir") ?? FileManager.default.currentDirectoryPath
        let bench = WALBench(directory: base + "/.mesh-bench-wal-\(getpid())", samples: samples, appenderCounts: counts,
                             seconds: Double(seconds), recordBytes: recordBytes)
        return try bench.run(json: arguments.has("json"))
    }
}
