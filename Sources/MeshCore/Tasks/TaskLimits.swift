/// Limits on every field of a task (issue 9: "fields bounded"). Each is checked when a submission
/// is parsed and again when a task is decoded from the log or the wire, where it is hostile input.
public enum TaskLimits {
    /// The largest prompt: 1 MiB of UTF-8.
    public static let promptBytesMax = 1 << 20
    /// The longest profile name (a profile is a name in each node's local config).
    public static let profileBytesMax = 64
    /// The longest affinity key.
    public static let affinityBytesMax = 255
    /// The most required tags of one task.
    public static let tagsMax = 16
    /// The longest tag.
    public static let tagBytesMax = 64
    /// The longest idempotency key.
    public static let idempotencyKeyBytesMax = 128
    /// The shortest timeout a task may ask for.
    public static let timeoutMin: Nanoseconds = .seconds(1)
    /// The longest timeout a task may ask for: one day.
    public static let timeoutMax: Nanoseconds = .seconds(86_400)
    /// The timeout of a task that names none: one hour.
    public static let timeoutDefault: Nanoseconds = .seconds(3_600)
    /// Fewest attempts a task may ask for.
    public static let attemptsMin: UInt32 = 1
    /// Most failure attempts a task may ask for.
    public static let attemptsMax: UInt32 = 20
    /// Failure attempts of a task that names none.
    public static let attemptsDefault: UInt32 = 3
    /// Attempts lost with their executor (a crash, a takeover) that are re-run without counting as
    /// failures; past this many the task fails (issue 9 §6: "capped separately, default 5").
    public static let lostAttemptsMax: UInt32 = 5
    /// The longest reason in a task event (longer ones are cut at a character boundary).
    public static let reasonBytesMax = 255
    /// The most events one task's history holds. Transitions are bounded by the attempt limits
    /// (about 3 events per attempt); stale events stop being added once `staleEventsMax` are in.
    public static let historyEventsMax = 160
    /// The most `stale` events one history keeps; later ones are only counted.
    public static let staleEventsMax = 16
    /// The largest owner epoch accepted from the log or the wire (the top half of UInt64 is refused,
    /// so `epoch + 1` can never wrap).
    public static let epochMax: UInt64 = 1 << 62
    /// The most copies a task record claims (R is 2 today; room for a larger R).
    public static let copiesMax: UInt8 = 16
    /// The longest attachment, declared output or artifact name, in bytes.
    public static let fileNameBytesMax = 255
    /// The most attachments one task carries.
    public static let attachmentsMax = 64
    /// The most declared outputs (`--expect`) one task names.
    public static let expectedOutputsMax = 64
    /// The most bytes of declared output names one task carries (all names together): the spec of
    /// a task with the largest prompt must still fit one log record.
    public static let expectedOutputsBytesMax = 1_024
    /// The most artifacts one attempt's history event records (more are counted, not listed).
    public static let artifactsRecordedMax = 256
    /// Default largest attachment (64 MiB; settable per node).
    public static let attachmentBytesDefault: UInt64 = 64 << 20
    /// Default largest total of one task's attachments (256 MiB; settable per node).
    public static let attachmentsTotalBytesDefault: UInt64 = 256 << 20
}
