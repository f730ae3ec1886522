import MeshCore

/// How a node keeps task workspaces (issue 10 §1): the per-task log cap, how long finished
/// workspaces are kept and how many, and whether attempts get a cgroup. Config keys under
/// `"workspaces"`: `outputBytesMax`, `retention`, `keptMax`, `cgroups`.
public struct WorkspaceSettings: Sendable, Equatable {
    /// Output one task's logs may hold, all attempts together (64 MiB): past it output is dropped,
    /// counted, and the count noted at the end of the attempt's log.
    public var outputBytesMax: Int64 = 64 << 20
    /// A finished task's workspace (logs, artifacts) is kept this long after it last changed (7 days).
    public var retention: Nanoseconds = .seconds(7 * 86_400)
    /// At most this many finished workspaces are kept; past it the oldest go first.
    public var keptMax = 1_000
    /// Put each attempt in a cgroup v2 of its own where one can be made (else: a child subreaper
    /// and the process table find every descendant).
    public var usesCgroups = true

    /// The largest `outputBytesMax` a config may set (1 TiB).
    public static let outputBytesMaxLimit: Int64 = 1 << 40
    /// The range of `keptMax`.
    public static let keptMaxRange = 0...1_000_000

    /// The defaults.
    public init() {}
}
