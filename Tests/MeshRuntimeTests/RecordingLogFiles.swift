import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime

/// A file layer that does the real calls and records each one, in order, with what the committer
/// delivered to the core in between: the evidence that nothing is reported synced before the fsync
/// that covers it.
final class RecordingLogFiles: LogFileLayer, @unchecked Sendable {
    enum Event: Equatable {
        case write(bytes: Int)
        case fsync
        case fsyncDirectory
        case delivered(Input)
    }

    private let lock = NSLock()
    private var recorded: [Event] = []
    /// When set, the next write fails with this errno (after writing nothing).
    var failWritesWith: Int32?

    var events: [Event] { lock.withLock { recorded } }

    func note(_ event: Event) { lock.withLock { recorded.append(event) } }

    func write(_ descriptor: Int32, _ buffer: UnsafeRawBufferPointer, at offset: Int) -> Int {
        if let code = lock.withLock({ failWritesWith }) { errno = code; return -1 }
        let written = SystemLogFiles.shared.write(descriptor, buffer, at: offset)
        if written > 0 { note(.write(bytes: written)) }
        return written
    }

    func sync(_ descriptor: Int32) -> Int32 {
        let result = SystemLogFiles.shared.sync(descriptor)
        if result == 0 { note(.fsync) }
        return result
    }

    func syncDirectory(_ path: String) -> Int32 {
        let result = SystemLogFiles.shared.syncDirectory(path)
        if result == 0 { note(.fsyncDirectory) }
        return result
    }

    /// Bytes written before each delivered `logSynced`'s last preceding fsync, paired with the
    /// position it reported: a delivery is honest when those bytes hold all its records.
    func syncedDeliveries() -> [(position: LogPosition, bytesDurable: Int)] {
        var written = 0
        var durable = 0
        var result: [(LogPosition, Int)] = []
        for event in events {
            switch event {
            case .write(let bytes): written += bytes
            case .fsync: durable = written
            case .fsyncDirectory: break
            case .delivered(.logSynced(let position)): result.append((position, durable))
            case .delivered: break
            }
        }
        return result
    }
}
