import MeshCore

/// The limits of `mesh mcp`: every message, wait and download is bounded.
enum MCPLimits {
    /// Longest message line read from the client: a submission with the largest prompt, every
    /// byte escaped, plus the JSON-RPC envelope. A longer line is answered with `-32600` and skipped.
    static let lineBytesMax = TaskSubmission.bodyBytesMax + 64 * 1024
    /// Most tool calls running at once; one more is answered with a JSON-RPC error at once.
    static let callsInFlightMax = 16
    /// How long the server, once its input ended, lets running calls finish and answer: a
    /// submission's own deadline (`ControlClient.submitTimeout`) plus a margin.
    static let finishSeconds = 20.0
    /// Longest `wait` a `submit_task` call may ask for, in seconds.
    static let waitSecondsMax = 1800
    /// First and longest pause between two polls of a task while `submit_task` waits.
    static let pollPauseFirst: Nanoseconds = .milliseconds(50)
    static let pollPauseMax: Nanoseconds = .milliseconds(500)
    /// How often a waiting `submit_task` reports progress while the task's state stays the same
    /// (when the client asked for progress): it keeps hosts that time out silent calls patient.
    static let progressEvery: Nanoseconds = .seconds(10)
    /// Default and largest number of log bytes one `task_logs` call returns.
    static let logBytesDefault = 64 * 1024
    static let logBytesMax = 1 << 20
    /// Largest log answer read from the node in one call (the rest is read by the next cursor).
    static let logFetchBytesMax = 32 << 20
    /// Largest artifact `fetch_artifacts` downloads (held in memory to be hash-checked before it
    /// is written); a larger one is refused with a pointer to `mesh artifacts`.
    static let artifactBytesMax = 64 << 20
    /// How long a node may take to answer one artifact download.
    static let artifactTimeout: Nanoseconds = .seconds(120)
}
