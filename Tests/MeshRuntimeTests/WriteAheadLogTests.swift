import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import Testing

/// A fresh directory for one test's log, removed by the caller.
private func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "mesh-wal-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Record `index` of a test log: bodies of different sizes, so cuts land in headers and bodies.
private func record(_ index: Int) -> LogRecord {
    LogRecord(kind: UInt8(index % 7), body: Array("record \(index) ".utf8) + Bytes(repeating: UInt8(index), count: index * 13))
}

/// The size of the file at `path`, in bytes.
private func fileSize(_ path: String) throws -> Int {
    try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
}

/// Opens the log at `path`, appends `records` and syncs them; returns the synced position.
private func writeSynced(_ path: String, _ records: [LogRecord]) throws -> LogPosition {
    let (log, _) = try WriteAheadLog.open(path: path)
    for item in records { try log.append(item) }
    return try log.sync()
}

@Suite("Write-ahead log")
struct WriteAheadLogTests {
    @Test("appended and synced records come back in order after reopening")
    func roundTrip() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/log"
        let records = (0..<5).map(record)
        do {
            let (log, recovery) = try WriteAheadLog.open(path: path)
            #expect(recovery == .init(records: [], cutTail: nil, bytesCut: 0))
            for item in records[..<3] { try log.append(item) }
            #expect(log.appendedPosition == 3)
            #expect(log.syncedPosition == 0)
            #expect(try fileSize(path) == 0, "append only buffers")
            #expect(try log.sync() == 3)
            for item in records[3...] { try log.append(item) }
            #expect(try log.sync() == 5)
            #expect(try log.sync() == 5, "a sync with nothing new keeps the position")
        }
        #expect(try fileSize(path) == records.map { LogRecordFormat.encode($0).count }.reduce(0, +))
        let (reopened, recovery) = try WriteAheadLog.open(path: path)
        #expect(recovery == .init(records: records, cutTail: nil, bytesCut: 0))
        #expect(reopened.syncedPosition == 5 && reopened.appendedPosition == 5)
    }

    @Test("records appended but never synced are not in the file")
    func unsyncedAppendsAreNotWritten() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/log"
        do {
            let (log, _) = try WriteAheadLog.open(path: path)
            try log.append(record(1))
            try log.sync()
            try log.append(record(2))
        }
        #expect(try WriteAheadLog.open(path: path).recovery.records == [record(1)])
    }

    @Test("a log cut inside a record loses only that record, and appends continue after the cut")
    func tornTailIsCut() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/log"
        let records = (0..<3).map(record)
        #expect(try writeSynced(path, records) == 3)
        let whole = try fileSize(path)
        let lastSize = LogRecordFormat.encode(records[2]).count
        // Cuts inside the last record's header, at the end of its header, and inside its body.
        for keep in [1, LogRecordFormat.headerByteCount, lastSize - 1] {
            #expect(truncate(path, off_t(whole - lastSize + keep)) == 0)
            let (log, recovery) = try WriteAheadLog.open(path: path)
            #expect(recovery == .init(records: Array(records[..<2]), cutTail: .truncated, bytesCut: keep), "keep \(keep)")
            #expect(try fileSize(path) == whole - lastSize, "the torn tail is gone from the file")
            try log.append(records[2])
            #expect(try log.sync() == 3)
        }
        #expect(try WriteAheadLog.open(path: path).recovery == .init(records: records, cutTail: nil, bytesCut: 0))
    }

    @Test("garbage written after the last record is cut on reopen; earlier records survive")
    func garbageTailIsCut() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/log"
        let records = (0..<4).map(record)
        #expect(try writeSynced(path, records) == 4)
        let whole = try fileSize(path)
        let garbage: [(name: String, bytes: Bytes, damage: LogTailDamage)] = [
            ("text", Array("garbage appended by hand\n".utf8), .oversizedLength),
            ("a zero-filled block", Bytes(repeating: 0, count: 4096), .badChecksum),
            ("a few bytes", [0, 0, 1], .truncated),
        ]
        for item in garbage {
            let handle = try #require(FileHandle(forWritingAtPath: path))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(item.bytes))
            try handle.close()
            let (log, recovery) = try WriteAheadLog.open(path: path)
            #expect(recovery == .init(records: records, cutTail: item.damage, bytesCut: item.bytes.count), "\(item.name)")
            #expect(try fileSize(path) == whole, "\(item.name)")
            _ = log
        }
        let extra = record(9)
        #expect(try writeSynced(path, [extra]) == 5)
        #expect(try WriteAheadLog.open(path: path).recovery.records == records + [extra])
    }

    @Test("appends past the buffer limit reach the file before the sync that makes them durable")
    func largeBurstIsWrittenInPieces() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/log"
        let big = (0..<5).map { LogRecord(kind: 1, body: Bytes(repeating: UInt8($0), count: LogRecordFormat.recordBytesMax)) }
        let (log, _) = try WriteAheadLog.open(path: path)
        for item in big { try log.append(item) }
        #expect(try fileSize(path) >= WriteAheadLog.bufferBytesMax)
        #expect(log.syncedPosition == 0)
        #expect(try log.sync() == 5)
        #expect(try WriteAheadLog.open(path: directory + "/log").recovery.records == big)
    }
}

@Suite("Write-ahead log failures")
struct WriteAheadLogFailureTests {
    @Test("a full disk surfaces as diskFull, the log refuses further use, and synced records survive")
    func diskFull() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/log"
        do {
            let (log, _) = try WriteAheadLog.open(path: path)
            try log.append(record(1))
            try log.sync()
            // Every write to /dev/full fails with ENOSPC: put it where the log's file was.
            let full = open("/dev/full", O_WRONLY | O_CLOEXEC)
            try #require(full >= 0)
            try #require(dup2(full, log.descriptor) == log.descriptor)
            close(full)
            try log.append(record(2))
            #expect(throws: WriteAheadLog.Failure.diskFull(call: "write \(path)")) { try log.sync() }
            #expect(log.syncedPosition == 1)
            #expect(log.failure == .diskFull(call: "write \(path)"))
            #expect(throws: WriteAheadLog.Failure.diskFull(call: "write \(path)")) { try log.append(record(3)) }
            #expect(throws: WriteAheadLog.Failure.diskFull(call: "write \(path)")) { try log.sync() }
        }
        #expect(try WriteAheadLog.open(path: path).recovery.records == [record(1)])
    }

    @Test("errno values map to the failures the node acts on")
    func errorMapping() {
        let cases: [(code: Int32, failure: WriteAheadLog.Failure)] = [
            (ENOSPC, .diskFull(call: "write log")),
            (EDQUOT, .diskFull(call: "write log")),
            (EIO, .ioError(call: "write log")),
            (EACCES, .system(SystemError(call: "write log", code: EACCES))),
        ]
        for item in cases {
            #expect(WriteAheadLog.Failure(SystemError(call: "write log", code: item.code)) == item.failure, "errno \(item.code)")
        }
    }

    @Test("a symbolic link or a directory at the log's path is refused, and the link's target is untouched")
    func onlyRegularFiles() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let target = directory + "/target"
        try Data("not a log".utf8).write(to: URL(fileURLWithPath: target))
        let link = directory + "/log"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        #expect(throws: WriteAheadLog.Failure.notARegularFile(path: link)) { _ = try WriteAheadLog.open(path: link) }
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "not a log")
        let subdirectory = directory + "/sub"
        try FileManager.default.createDirectory(atPath: subdirectory, withIntermediateDirectories: false)
        #expect(throws: WriteAheadLog.Failure.notARegularFile(path: subdirectory)) { _ = try WriteAheadLog.open(path: subdirectory) }
    }

    @Test("a missing parent directory is a system failure naming the call")
    func missingDirectory() {
        let path = NSTemporaryDirectory() + "mesh-wal-missing-\(UUID().uuidString)/log"
        #expect(throws: WriteAheadLog.Failure.system(SystemError(call: "open \(path)", code: ENOENT))) {
            _ = try WriteAheadLog.open(path: path)
        }
    }
}
