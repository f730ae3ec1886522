import MeshCore

/// The disk workload layer's driver: every running node appends records at the scenario's rate
/// and syncs them in batches, one sync at a time (group commit). Each record is unique (node,
/// sequence) so that the checker can tell one from another after a crash.
struct DiskWorkload {
    /// The largest record body the workload writes (well under `LogRecordFormat.recordBytesMax`).
    static let recordBytesMax = 65_536
    /// The log record kind the workload writes.
    static let recordKind: UInt8 = 0xD1

    let settings: DiskWorkloadSettings
    /// Per node, the sequence number of its next record (kept across lives).
    var nextSequence: [UInt64]

    init(settings: DiskWorkloadSettings, nodes: Int) {
        self.settings = settings
        nextSequence = Array(repeating: 0, count: nodes)
    }

    /// The mean gap between two appends of one node.
    var appendGap: Nanoseconds { Nanoseconds(1e9 / settings.appendsPerSecond) }

    /// Record `sequence` of `node`, `size` bytes of body: the node and sequence, then filler that
    /// depends on both.
    static func record(node: Int, sequence: UInt64, size: Int) -> LogRecord {
        var w = ByteWriter(capacity: size)
        w.u32(UInt32(truncatingIfNeeded: node))
        w.u64(sequence)
        var x = sequence &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(node)
        while w.bytes.count < size {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            w.u8(UInt8(truncatingIfNeeded: x))
        }
        return LogRecord(kind: recordKind, body: Array(w.bytes.prefix(max(size, 12))))
    }
}

extension Simulation {
    /// Starts the workload of `node`'s new life: its first append comes after one gap.
    func startDiskWorkload(_ node: Int) {
        guard let workload = diskWorkload else { return }
        queue.push(now + random.nanoseconds(workload.appendGap / 2, workload.appendGap * 3 / 2),
                   .diskAppend(node: node, life: nodes[node].life))
    }

    /// The node appends its next record, syncs if a batch is waiting, and plans its next append.
    func diskAppendDue(_ node: Int, life: Int) {
        guard var workload = diskWorkload, nodes[node].life == life, isRunning(node) else { return }
        if deferIfPaused(node, .diskAppend(node: node, life: life)) { return }
        let size = workload.settings.recordBytesMin + random.below(workload.settings.recordBytesMax - workload.settings.recordBytesMin + 1)
        let record = DiskWorkload.record(node: node, sequence: workload.nextSequence[node], size: size)
        workload.nextSequence[node] += 1
        diskWorkload = workload
        let position = disks[node].append(record, now: now)
        trace.mix(30); trace.mix(node); trace.mix(position ?? 0); trace.mix(UInt64(record.body.count))
        notify { $0.logAppended(record, position: position, node: node, world: self) }
        syncIfBatchWaits(node)
        queue.push(now + random.nanoseconds(workload.appendGap / 2, workload.appendGap * 3 / 2), .diskAppend(node: node, life: life))
    }

    /// Starts a sync when a batch of records waits and none is under way.
    func syncIfBatchWaits(_ node: Int) {
        guard let workload = diskWorkload, !disks[node].isSyncing,
              disks[node].unsyncedRecordCount >= workload.settings.batchRecords else { return }
        let (sync, completesAt) = disks[node].sync(now: now, using: &random)
        let upTo = disks[node].position
        trace.mix(31); trace.mix(node); trace.mix(upTo); trace.mix(UInt64(completesAt))
        notify { $0.logSyncStarted(upTo: upTo, completesAt: completesAt, node: node, world: self) }
        queue.push(completesAt, .diskSyncDone(node: node, life: nodes[node].life, sync: sync))
    }

    /// A sync completes on the disk; the node hears of it (later, if it is paused).
    func diskSyncDone(_ node: Int, life: Int, sync: Int) {
        guard nodes[node].life == life, isRunning(node) else { return }
        if deferIfPaused(node, .diskSyncDone(node: node, life: life, sync: sync)) { return }
        let (outcome, compacted) = completeDiskSync(sync, node: node)
        reportSyncToCore(outcome, sync: sync, node: node, compacted: compacted)
    }

    /// Sync (or compaction) number `sync` completes on `node`'s disk and the checkers hear of it:
    /// its outcome (nil: void) and whether it was a compaction.
    func completeDiskSync(_ sync: Int, node: Int) -> (SimDisk.SyncOutcome?, compacted: Bool) {
        let snapshot = disks[node].snapshot(of: sync)
        guard let outcome = disks[node].completeSync(sync) else { return (nil, snapshot != nil) }
        switch outcome {
        case .synced(let upTo): trace.mix(32); trace.mix(node); trace.mix(upTo)
        case .failed(let kept): trace.mix(33); trace.mix(node); trace.mix(kept)
        }
        if let snapshot, case .synced(let base) = outcome {
            notify { $0.logCompacted(snapshot, basePosition: base, node: node, world: self) }
        }
        notify { $0.logSyncCompleted(outcome, node: node, world: self) }
        syncIfBatchWaits(node)
        return (outcome, snapshot != nil)
    }
}
