import MeshCore

/// The environment an agent runs with (issue 10 §1), and nothing else: the attempt's own
/// variables, a base `PATH` and `HOME`, the variables its profile names (values from the node's
/// own environment, so secrets never travel), and the runtime's marker.
public enum AgentEnvironment {
    /// The `PATH` an agent gets unless its profile names `PATH` (then the node's own).
    public static let basePath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    /// Variables the runtime sets; a profile may not name them.
    public static let runtimeNames: Set<String> = ["MESH_TASK_ID", "MESH_ATTEMPT", "MESH_INBOX", "MESH_ARTIFACTS", AgentRunner.markerVariable]

    /// The whole environment of attempt `attempt` of `task` in `workspace`: `MESH_TASK_ID`,
    /// `MESH_ATTEMPT`, `MESH_INBOX`, `MESH_ARTIFACTS`, `PATH`, `HOME` (the node's, else the
    /// workspace), the profile's names that the node's environment `node` holds, and `marker`.
    public static func build(task: String, attempt: UInt32, workspace: String, profile: AgentProfile,
                             node: [String: String], marker: String) -> [String: String] {
        var environment = ["PATH": basePath, "HOME": node["HOME"] ?? workspace]
        for name in profile.environment where !runtimeNames.contains(name) {
            if let value = node[name] { environment[name] = value }
        }
        environment["MESH_TASK_ID"] = task
        environment["MESH_ATTEMPT"] = String(attempt)
        environment["MESH_INBOX"] = workspace + "/inbox"
        environment["MESH_ARTIFACTS"] = workspace + "/artifacts"
        environment[AgentRunner.markerVariable] = marker
        return environment
    }
}
