import MeshCore

/// Safety of the write-ahead log on every node's disk, checked at every sync and after every
/// crash and restart:
/// - nothing unsynced is reported synced (when a node hears "synced up to n", the disk holds n
///   durable records);
/// - every record whose sync completed survives every crash, in order, and recovery finds no
///   record that was never appended;
/// - a torn record left by a crash is detected by recovery and cut, so the file scans clean.
final class SyncedRecordsSurvive: SafetyChecker {
    /// Per node, its log as its writer knows it: records `0..<count`, in order.
    private var written: [Int: [LogRecord]] = [:]
    /// Per node, how many of them it was told are durable.
    private var synced: [Int: Int] = [:]
    /// Per node, the tear its last crash left, which the next recovery must find.
    private var tears: [Int: LogTailDamage] = [:]
    /// Per node, how many records the last recovery found, each compared with what was written
    /// then; later recoveries compare only the records after them (the CRC of every record is
    /// checked by every scan, so an earlier record cannot change unnoticed).
    private var compared: [Int: Int] = [:]
    /// Per node, the position of `written[node][0]`'s slot minus its index: nonzero once a
    /// snapshot stands for more positions than it holds records (positions never go back).
    private var base: [Int: Int] = [:]
    /// Per node, the bytes of the snapshot header at the start of its file, if there is one.
    private var headerBytes: [Int: Int] = [:]

    func logAppended(_ record: LogRecord, position: LogPosition?, node: Int, world: Simulation) {
        guard let position else { return }
        let count = (written[node]?.count ?? 0) + (base[node] ?? 0)
        if position != LogPosition(count + 1) {
            world.violation("\(world.timestamp) \(world.nodes[node].name)'s disk put a record at position \(position) after \(count) records")
        }
        written[node, default: []].append(record)   // in place: no copy of the whole log
    }

    func logSyncCompleted(_ outcome: SimDisk.SyncOutcome, node: Int, world: Simulation) {
        let name = world.nodes[node].name
        switch outcome {
        case .synced(let upTo):
            let durable = world.disks[node].durableRecordCount
            if upTo > durable {
                world.violation("\(world.timestamp) \(name) was told records up to \(upTo) are synced; its disk holds \(durable)")
            }
            synced[node] = max(synced[node] ?? 0, Int(upTo))
        case .failed(let kept):
            if Int(kept) < synced[node] ?? 0 {
                world.violation("\(world.timestamp) \(name)'s failed sync lost synced records: \(synced[node] ?? 0) synced, \(kept) kept")
            }
            written[node] = Array((written[node] ?? []).prefix(Int(kept) - (base[node] ?? 0)))
        }
    }

    func logCompacted(_ records: [LogRecord], basePosition: LogPosition, node: Int, world: Simulation) {
        // Records appended after the `compactLog` directive follow the snapshot.
        let after = (written[node] ?? []).dropFirst(max(0, Int(basePosition) - (base[node] ?? 0)))
        written[node] = records + after
        base[node] = Int(basePosition) - records.count
        synced[node] = max(synced[node] ?? 0, Int(basePosition))
        compared[node] = 0
        headerBytes[node] = LogRecordFormat.headerByteCount + 17
    }

    func diskCrashed(_ damage: SimDisk.CrashDamage, node: Int, world: Simulation) {
        tears[node] = damage.tear
    }

    func logRecovered(_ recovery: SimDisk.Recovery, node: Int, world: Simulation) {
        let name = world.nodes[node].name
        let log = written[node] ?? []
        let promised = synced[node] ?? 0
        let recovered = recovery.records
        let from = min(compared[node] ?? 0, recovered.count, log.count)
        let matches = recovered.count <= log.count && recovered[from...].elementsEqual(log[from..<recovered.count])
        if Int(recovery.position) < promised {
            world.violation("\(world.timestamp) \(name) lost synced records: \(promised) synced, \(recovery.position) recovered")
        } else if !matches {
            world.violation("\(world.timestamp) \(name) recovered records it never appended (\(recovered.count) recovered, \(log.count) written)")
        }
        if let tear = tears[node], !recovery.tornTail {
            world.violation("\(world.timestamp) \(name)'s recovery missed a torn record (\(tear))")
        }
        // Cut means the file now holds exactly the recovered records' bytes.
        let wholeBytes = recovered.reduce(headerBytes[node] ?? 0) { $0 + LogRecordFormat.headerByteCount + $1.body.count }
        if world.disks[node].durable.count != wholeBytes {
            world.violation("\(world.timestamp) \(name)'s recovery left \(world.disks[node].durable.count - wholeBytes) bytes of torn tail")
        }
        written[node] = recovered
        synced[node] = Int(recovery.position)
        compared[node] = recovered.count
        tears[node] = nil
    }
}
