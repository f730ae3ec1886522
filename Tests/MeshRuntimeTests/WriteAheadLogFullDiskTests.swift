import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import Testing

/// A real full disk: a 64 KiB tmpfs mounted for the test (the tests run as root in their
/// container; a test that cannot mount fails and says why).
@Suite("Write-ahead log on a full disk", .serialized, MountRequirement.trait)
struct WriteAheadLogFullDiskTests {
    static func mountSmallDisk() throws -> String {
        let path = NSTemporaryDirectory() + "mesh-full-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard mount("tmpfs", path, "tmpfs", 0, "size=64k,mode=0700") == 0 else {
            let reason = String(cString: strerror(errno))
            rmdir(path)
            throw SystemError(call: "mount tmpfs (the test needs root): \(reason)", code: errno)
        }
        return path
    }

    static func unmount(_ path: String) {
        umount2(path, Int32(MNT_DETACH))
        rmdir(path)
    }

    @Test("ENOSPC refuses new work, reports diskFailed(.full), and every synced record survives")
    func fullDiskRefusesWork() throws {
        let disk = try Self.mountSmallDisk()
        defer { Self.unmount(disk) }
        let path = disk + "/log"
        let (log, _) = try WriteAheadLog.open(path: path)
        let body = Bytes(repeating: 0xAB, count: 1_024)
        var synced: LogPosition = 0
        var failure: WriteAheadLog.Failure?
        for _ in 0..<200 {
            do {
                try log.append(LogRecord(kind: 1, body: body))
                synced = try log.sync()
            } catch {
                failure = error
                break
            }
        }
        guard case .diskFull? = failure else { Issue.record("expected diskFull, got \(String(describing: failure))"); return }
        #expect(synced > 10, "some records fit before the disk filled")
        #expect(throws: WriteAheadLog.Failure.self) { try log.append(LogRecord(kind: 1, body: [1])) }
        #expect(throws: WriteAheadLog.Failure.self) { try log.sync() }
        let (_, recovery) = try WriteAheadLog.open(path: path)
        #expect(recovery.position == synced, "recovered exactly the synced records")
        #expect(recovery.records.allSatisfy { $0.body == body })
    }

    @Test("a snapshot that does not fit leaves the old log whole")
    func snapshotOnFullDisk() throws {
        let disk = try Self.mountSmallDisk()
        defer { Self.unmount(disk) }
        let path = disk + "/log"
        let (log, _) = try WriteAheadLog.open(path: path)
        for _ in 0..<30 { try log.append(LogRecord(kind: 1, body: Bytes(repeating: 1, count: 1_024))) }
        try log.sync()
        let big = Array(repeating: LogRecord(kind: 2, body: Bytes(repeating: 2, count: 1_024)), count: 60)
        #expect(throws: WriteAheadLog.Failure.self) { try log.compact(with: big) }
        let (_, recovery) = try WriteAheadLog.open(path: path)
        #expect(recovery.position == 30 && recovery.records.allSatisfy { $0.kind == 1 })
        #expect(!Files.exists(path + ".snapshot"))
    }
}
