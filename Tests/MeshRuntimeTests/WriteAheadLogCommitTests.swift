import Dispatch
import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import Testing

/// A fresh directory for one test's log.
private func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "mesh-wal-commit-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Records of one size, so a byte count says how many records it holds.
private func record(_ index: Int) -> LogRecord {
    LogRecord(kind: 1, body: Bytes(repeating: UInt8(truncatingIfNeeded: index), count: 100))
}
private let recordBytes = LogRecordFormat.headerByteCount + 100

@Suite("Write-ahead log: group commit and the order of promises", .serialized)
struct WriteAheadLogCommitTests {
    @Test("logSynced is never delivered before the fsync of every record it covers")
    func syncedOnlyAfterFsync() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = RecordingLogFiles()
        let (log, _) = try WriteAheadLog.open(path: directory + "/log", files: files)
        let committer = LogCommitter(log: log) { files.note(.delivered($0)) }
        // Directives as a core emits them, on one queue, while the sync queue fsyncs.
        for index in 0..<500 {
            committer.append(record(index))
            if index % 7 == 6 { committer.sync() }
        }
        committer.sync()
        committer.drain()
        let deliveries = files.syncedDeliveries()
        #expect(!deliveries.isEmpty && deliveries.last?.position == 500)
        for (position, durable) in deliveries {
            #expect(Int(position) * recordBytes <= durable, "logSynced(\(position)) with only \(durable / recordBytes) records fsynced")
        }
        let fsyncs = files.events.count(where: { $0 == .fsync })
        #expect(fsyncs < 500 / 7 + 1, "syncs asked while one runs are coalesced (\(fsyncs) fsyncs)")
    }

    @Test("many concurrent appenders share fsyncs and every record survives reopening")
    func groupCommit() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = RecordingLogFiles()
        let (log, _) = try WriteAheadLog.open(path: directory + "/log", files: files)
        let appenders = 8, each = 100
        let group = DispatchGroup()
        for appender in 0..<appenders {
            group.enter()
            Thread {   // threads of their own: concurrentPerform runs only one per CPU at once
                defer { group.leave() }
                for index in 0..<each {
                    guard let position = try? log.append(record(appender * each + index)),
                          let synced = try? log.sync(covering: position) else { return }
                    #expect(synced >= position)
                }
            }.start()
        }
        group.wait()
        #expect(log.syncedPosition == LogPosition(appenders * each))
        let fsyncs = files.events.count(where: { $0 == .fsync })
        #expect(fsyncs * 2 <= appenders * each, "\(fsyncs) fsyncs for \(appenders * each) records: batches did not form")
        let recovered = try WriteAheadLog.open(path: directory + "/log").recovery
        #expect(recovered.records.count == appenders * each)
    }

    @Test("a snapshot replaces the records before it; positions continue; appends after it follow")
    func snapshot() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/log"
        let files = RecordingLogFiles()
        do {
            let (log, _) = try WriteAheadLog.open(path: path, files: files)
            for index in 0..<10 { try log.append(record(index)) }
            try log.sync()
            try log.append(record(10))   // buffered, superseded by the snapshot
            #expect(try log.compact(with: [record(100), record(101)]) == 11)
            #expect(log.syncedPosition == 11)
            try log.append(record(11))
            #expect(try log.sync() == 12)
        }
        let events = files.events
        let renameSync = try #require(events.lastIndex(of: .fsyncDirectory))
        #expect(events[..<renameSync].contains(.fsync), "the snapshot is fsynced before its rename is")
        let (_, recovery) = try WriteAheadLog.open(path: path)
        #expect(recovery.records == [record(100), record(101), record(11)])
        #expect(recovery.position == 12)
        #expect(!Files.exists(path + ".snapshot"))
    }

    @Test("a snapshot left half-written by a crash is ignored and removed; the old log stays")
    func halfWrittenSnapshot() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/log"
        do {
            let (log, _) = try WriteAheadLog.open(path: path)
            for index in 0..<3 { try log.append(record(index)) }
            try log.sync()
        }
        try Files.writeAtomically(path + ".snapshot", Array(LogRecordFormat.encode(LogSnapshotHeader(basePosition: 3, recordCount: 9).logRecord).prefix(12)))
        let (_, recovery) = try WriteAheadLog.open(path: path)
        #expect(recovery.records == (0..<3).map(record) && recovery.position == 3)
        #expect(!Files.exists(path + ".snapshot"))
    }

    @Test("a damaged snapshot header is refused, not guessed at")
    func badSnapshotHeader() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/log"
        try Files.writeAtomically(path, LogRecordFormat.encode(LogSnapshotHeader(basePosition: 3, recordCount: 9).logRecord))
        #expect(throws: WriteAheadLog.Failure.badSnapshot(path: path)) { _ = try WriteAheadLog.open(path: path) }
    }

    @Test("a failed write is reported once as diskFailed and never as synced")
    func failureReportedOnce() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = RecordingLogFiles()
        let (log, _) = try WriteAheadLog.open(path: directory + "/log", files: files)
        let committer = LogCommitter(log: log) { files.note(.delivered($0)) }
        committer.append(record(0))
        committer.sync()
        committer.drain()
        files.failWritesWith = ENOSPC
        for index in 1..<4 { committer.append(record(index)); committer.sync(); committer.drain() }
        let delivered = files.events.compactMap { if case .delivered(let input) = $0 { input } else { nil } }
        #expect(delivered == [.logSynced(upTo: 1), .diskFailed(.full)])
    }
}
