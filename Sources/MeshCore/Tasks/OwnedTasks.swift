/// The tasks a node owns (`TaskMachine.Owned` by id), with what the tick needs kept up to date as
/// entries change instead of recomputed from every entry on every tick:
/// - `ids`: the ids in ascending order (the deterministic order every pass walks), merged from
///   the ids added since the last walk (sorted on their own: a few) instead of sorting them all;
/// - `replicaUse`: how many owned tasks use each replica (the leases to renew);
/// - `running`: the ids with a run (the attempts whose lease may end);
/// - `unsettled`: the ids the tick's per-task passes must look at (see `TaskMachine+Settled`):
///   every id whose entry was set (or whose record was committed) since a tick last found it
///   settled. A node holding thousands of queued tasks thus walks only the few that changed.
///
/// Reading and writing go through the subscript like a dictionary's; nothing iterates the table
/// itself, so no hash order decides anything.
struct OwnedTasks: Sendable {
    private var table: [TaskID: TaskMachine.Owned] = [:]
    /// Ascending; may still hold ids removed since (skipped when read, dropped at the next merge).
    private var order: [TaskID] = []
    /// Ids added since `order` was last brought up to date, in arrival order.
    private var added: [TaskID] = []
    private var removedSinceMerge = 0
    /// Replica name → owned tasks whose `replica` it is.
    private(set) var replicaUse: [String: Int] = [:]
    /// Ids whose `run` is set.
    private(set) var running: Set<TaskID> = []
    /// Ids changed since a tick last found them settled.
    private var unsettled: Set<TaskID> = []

    /// The entry of `id`; setting nil removes it.
    subscript(id: TaskID) -> TaskMachine.Owned? {
        get { table[id] }
        set {
            let old = newValue.map { table.updateValue($0, forKey: id) } ?? table.removeValue(forKey: id)
            changed(id, from: old, to: newValue)
        }
    }

    var count: Int { table.count }
    var isEmpty: Bool { table.isEmpty }

    /// Every owned id, ascending (a snapshot: changes made while walking it do not show in it).
    var ids: [TaskID] {
        mutating get {
            if !added.isEmpty || removedSinceMerge > 0 { merge() }
            return order
        }
    }

    /// The ids with a run, ascending.
    var runningIDs: [TaskID] { running.sorted() }

    /// The ids changed since a tick last found them settled, ascending.
    var unsettledIDs: [TaskID] { unsettled.sorted() }

    /// Marks `id` (if owned) as changed: the tick's passes look at it again.
    mutating func touch(_ id: TaskID) {
        if table[id] != nil { unsettled.insert(id) }
    }

    /// `id` needs nothing from the tick's passes until it changes again.
    mutating func settle(_ id: TaskID) { unsettled.remove(id) }

    private mutating func changed(_ id: TaskID, from old: TaskMachine.Owned?, to new: TaskMachine.Owned?) {
        if old == nil && new != nil { added.append(id) }
        if old != nil && new == nil { removedSinceMerge &+= 1 }
        if new == nil { unsettled.remove(id) } else { unsettled.insert(id) }
        if old?.replica != new?.replica {
            if let replica = old?.replica { release(replica) }
            if let replica = new?.replica { replicaUse[replica, default: 0] &+= 1 }
        }
        let wasRunning = old?.run != nil, isRunning = new?.run != nil
        if wasRunning != isRunning {
            if isRunning { running.insert(id) } else { running.remove(id) }
        }
    }

    private mutating func release(_ replica: String) {
        let left = (replicaUse[replica] ?? 1) &- 1
        replicaUse[replica] = left > 0 ? left : nil
    }

    /// Brings `order` up to date: drops removed ids, merges the added ones (an id removed and
    /// added again appears once).
    private mutating func merge() {
        var fresh = added.filter { table[$0] != nil }
        fresh.sort()
        var merged: [TaskID] = []
        merged.reserveCapacity(table.count)
        var i = 0, j = 0
        while i < order.count || j < fresh.count {
            let next: TaskID
            if j == fresh.count || (i < order.count && order[i] < fresh[j]) {
                next = order[i]; i += 1
            } else {
                next = fresh[j]; j += 1
            }
            if merged.last == next || table[next] == nil { continue }
            merged.append(next)
        }
        order = merged
        added.removeAll(keepingCapacity: true)
        removedSinceMerge = 0
    }
}
