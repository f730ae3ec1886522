import MeshCore

/// The data plane's side of the core's directives: fetching attachment blobs before a task is
/// stored, and putting them in the inbox before an attempt starts (issue 10 §2).
extension NodeShell {
    /// `fetchFiles`: the data plane fetches on a thread of its own; the answer comes back as an input.
    func fetchFiles(_ fetch: FileFetch) {
        guard let data else {
            return queue.async { [self] in input(.filesFetched(fetch.id, failure: "\(options.name) has no data directory to hold attachments in")) }
        }
        data.fetch(fetch) { [queue] failure in
            queue.async { [weak self] in self?.input(.filesFetched(fetch.id, failure: failure)) }
        }
    }

    /// Links the task's attachments into `inbox/` and notes the run as started; false (with the
    /// run refused) when a blob is missing.
    func prepareInbox(_ run: AgentRun) -> Bool {
        guard let data, let id = TaskID(run.task) else { return true }
        let files = core.attachments(of: id)
        if !files.isEmpty {
            do {
                try data.blobs.link(files, into: options.dataDirectory!.path + "/tasks/" + run.task + "/inbox")
            } catch {
                queue.async { [self] in input(.agentExited(run.run, .refused("cannot place the attachments: \(error)"))) }
                return false
            }
        }
        data.runStarted(run)
        return true
    }
}
