import Dispatch
import MeshCore

/// Workspace retention on a running node: every `WorkspaceRetention.interval` (and once at
/// start) the tasks this node holds unfinished and the runs in progress are gathered on the
/// node's queue, and the prune runs on a utility queue so the node never waits for the disk.
extension NodeShell {
    func watchWorkspaces() {
        guard let directory = options.dataDirectory, agents != nil else { return }
        let timer = DispatchSource.makeTimerSource(queue: queue)
        let interval = DispatchTimeInterval.nanoseconds(Int(WorkspaceRetention.interval))
        timer.schedule(deadline: .now(), repeating: interval, leeway: .seconds(10))
        timer.setEventHandler { [self] in
            var active = agents?.runningTasks ?? []
            for (id, record) in core.tasks.records where !record.state.isTerminal { active.insert(id.description) }
            let held = active
            let settings = options.workspaces
            let path = directory.path
            let logger = logger
            DispatchQueue.global(qos: .utility).async {
                let removed = WorkspaceRetention.prune(dataPath: path, active: held, settings: settings,
                                                       nowSeconds: SystemClock.wallMilliseconds() / 1_000)
                if !removed.isEmpty { logger.info("pruned finished task workspaces", ["count": String(removed.count)]) }
            }
        }
        workspaceWatch = timer
        timer.resume()
    }
}
