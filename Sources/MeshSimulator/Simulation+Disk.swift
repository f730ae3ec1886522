import MeshCore

/// What a node makes durable: its incarnation (written and synced at once, its own small file),
/// and its write-ahead log on its `SimDisk`.
extension Simulation {
    /// The `persistIncarnation` directive: the value survives every later crash.
    func persist(_ incarnation: UInt64, at node: Int) {
        notify { $0.incarnationPersisted(incarnation, node: node, world: self) }
        persistedIncarnation[node] = incarnation
    }

    /// The `append` directive: the record joins the node's log, unsynced. A full disk refuses it,
    /// and the node hears `diskFailed(.full)` as its next input.
    func appendFromCore(_ record: LogRecord, node: Int) {
        let position = disks[node].append(record, now: now)
        trace.mix(36); trace.mix(node); trace.mix(position ?? 0); trace.mix(record.body)
        notify { $0.logAppended(record, position: position, node: node, world: self) }
        if position == nil {
            queue.push(now, .coreInput(node: node, life: nodes[node].life, .diskFailed(.full)))
        }
    }

    /// The `sync` directive: everything appended so far becomes durable after the disk's latency,
    /// and the node hears `logSynced(upTo:)` (or `diskFailed(.ioError)` when the sync fails).
    func syncFromCore(_ node: Int) {
        let (sync, completesAt) = disks[node].sync(now: now, using: &random)
        let upTo = disks[node].position
        coreSyncs[node].insert(sync)
        trace.mix(37); trace.mix(node); trace.mix(upTo); trace.mix(UInt64(completesAt))
        notify { $0.logSyncStarted(upTo: upTo, completesAt: completesAt, node: node, world: self) }
        queue.push(completesAt, .diskSyncDone(node: node, life: nodes[node].life, sync: sync))
    }

    /// The `compactLog` directive: the disk writes the snapshot in turn with the syncs; once it is
    /// durable (and only then: a crash before keeps the old log) it replaces the log and the node
    /// hears `logCompacted(upTo:)`.
    @discardableResult
    func compactFromCore(_ records: [LogRecord], node: Int) -> Int {
        let (sync, base, completesAt) = disks[node].compact(records, now: now, using: &random)
        coreSyncs[node].insert(sync)
        trace.mix(38); trace.mix(node); trace.mix(base); trace.mix(records.count)
        queue.push(completesAt, .diskSyncDone(node: node, life: nodes[node].life, sync: sync))
        return sync
    }

    /// Tells the core how a sync (or a compaction: `compacted`) it asked for ended.
    func reportSyncToCore(_ outcome: SimDisk.SyncOutcome?, sync: Int, node: Int, compacted: Bool = false) {
        guard coreSyncs[node].remove(sync) != nil, nodes[node].instance != nil else { return }
        let input: Input
        switch outcome {
        case .synced(let upTo)?: input = compacted ? .logCompacted(upTo: upTo) : .logSynced(upTo: upTo)
        case .failed?, nil: input = .diskFailed(.ioError)
        }
        apply(node, nodes[node].instance!.handle(input, at: moment))
    }

    /// The crash of `node` reaches its disk: unsynced records are lost, the last may be torn.
    func crashDisk(_ node: Int) {
        coreSyncs[node] = []
        let damage = disks[node].crash(using: &random)
        if damage.recordsLost > 0 {
            trace.mix(34); trace.mix(node); trace.mix(damage.recordsLost); trace.mix(damage.tear == nil ? 0 : 1)
        }
        notify { $0.diskCrashed(damage, node: node, world: self) }
    }

    /// At the start of a life, the node reads its log back and cuts a torn tail.
    func recoverDisk(_ node: Int) {
        let recovery = disks[node].recover()
        // The core gets its own layer's records back (the task kinds); positions count them all.
        lastRecovery[node] = RecoveredLog(records: recovery.records.filter { (0x20...0x2F).contains($0.kind) },
                                          position: recovery.position)
        if !recovery.records.isEmpty || recovery.tornTail {
            trace.mix(35); trace.mix(node); trace.mix(recovery.records.count); trace.mix(recovery.tornTail ? 1 : 0)
        }
        notify { $0.logRecovered(recovery, node: node, world: self) }
    }
}
