import Dispatch
import Foundation
import MeshCore

/// Carries out the core's log directives (`append`, `sync`, `compactLog`) with group commit and
/// tells the core what became durable, never before the fsync that made it so.
///
/// Appends and compactions run on the caller's thread (the node's queue), in directive order. A
/// `sync` is handed to one serial sync queue: while an fsync runs, later appends pile up and the
/// next fsync covers all of them, however many `sync` directives asked (a sync already waiting
/// absorbs later requests). Each completed fsync is reported as `logSynced(upTo:)` through
/// `deliver`; a failure is reported once, as `diskFailed`.
public final class LogCommitter: @unchecked Sendable {
    /// The log; nil when the node has no data directory (every directive then fails the disk).
    public let log: WriteAheadLog?
    private let deliver: @Sendable (Input) -> Void
    private let syncQueue = DispatchQueue(label: "mesh.log-sync")
    private let lock = NSLock()
    private var syncWaiting = false
    /// When the oldest `sync` not yet covered was asked for (`lock`).
    private var waitingSince: Nanoseconds?
    private var timings = (fsync: Timing(), wait: Timing())
    private var failureReported = false
    /// Called with each failure, for the operator's log.
    public var onFailure: (@Sendable (WriteAheadLog.Failure) -> Void)?

    /// A committer for `log` that reports inputs through `deliver` (from any thread: the caller
    /// hands them to the core on its own queue).
    public init(log: WriteAheadLog?, deliver: @escaping @Sendable (Input) -> Void) {
        self.log = log
        self.deliver = deliver
    }

    /// The `append` directive: buffers the record.
    public func append(_ record: LogRecord) {
        guard let log else { return report(nil) }
        do { try log.append(record) } catch { report(error) }
    }

    /// The `sync` directive: makes every record appended so far durable, on the sync queue, then
    /// reports `logSynced(upTo:)`.
    public func sync() {
        guard let log else { return report(nil) }
        let target = log.appendedPosition
        let asked = SystemClock.monotonicNanoseconds()
        let mustQueue = lock.withLock {
            defer { syncWaiting = true }
            if waitingSince == nil { waitingSince = asked }
            return !syncWaiting
        }
        guard mustQueue else { return }
        syncQueue.async { [self] in
            let since = lock.withLock {
                syncWaiting = false
                defer { waitingSince = nil }
                return waitingSince
            }
            do throws(WriteAheadLog.Failure) {
                let started = SystemClock.monotonicNanoseconds()
                let position = try log.sync(covering: max(target, log.appendedPosition))
                let done = SystemClock.monotonicNanoseconds()
                lock.withLock {
                    timings.fsync.add(done - started)
                    timings.wait.add(done - (since ?? started))
                }
                deliver(.logSynced(upTo: position))
            } catch {
                report(error)
            }
        }
    }

    /// The `compactLog` directive: replaces the log with the snapshot now (before any later
    /// append), then reports `logCompacted(upTo:)`.
    public func compact(_ records: [LogRecord]) {
        guard let log else { return report(nil) }
        do {
            let base = try log.compact(with: records)
            deliver(.logCompacted(upTo: base))
        } catch {
            report(error)
        }
    }

    /// Syncs carried out (each one write + fsync for every record appended before it) and how
    /// long they took; `wait`: from the first `sync` a batch covers until it was durable.
    public var syncTimings: (fsync: Timing, wait: Timing) { lock.withLock { timings } }

    /// Waits until every sync queued so far has finished (for an orderly stop and for tests).
    public func drain() { syncQueue.sync {} }

    private func report(_ error: WriteAheadLog.Failure?) {
        let first = lock.withLock {
            defer { failureReported = true }
            return !failureReported
        }
        guard first else { return }
        if let error { onFailure?(error) }
        let failure: DiskFailure = if case .diskFull? = error { .full } else { .ioError }
        deliver(.diskFailed(failure))
    }
}
