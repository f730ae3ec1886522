/// Every size the wire accepts, named once. Decoders check each length against these before
/// reading; anything larger is dropped and counted, never trusted.
public enum WireLimits {
    /// A datagram, authentication included. Fits a 1,500-byte MTU with IP and UDP headers to spare.
    public static let datagramBytesMax = 1_400
    /// A member name, in UTF-8 bytes.
    public static let nameBytesMax = 64
    /// A member's metadata record (load and capacity gossip).
    public static let metaBytesMax = 512
    /// A cluster label, in UTF-8 bytes (only its 32-bit hash travels).
    public static let labelBytesMax = 64
    /// Messages in one datagram, skipped ones (unknown kinds) included.
    public static let messagesPerDatagramMax = 64
    /// One stream frame (push-pull state).
    public static let streamFrameBytesMax = 16 * 1024 * 1024
    /// Members in one push-pull state.
    public static let pushPullMembersMax = 100_000
    /// The largest counter (incarnation; later epochs and attempts) read from the wire or reached
    /// locally: 2^63 − 1. A value in the top half of the range is dropped and counted
    /// (`counterOutOfRange`), so `+ 1` on any accepted counter cannot trap, every counter fits an
    /// `Int64` (JSON, `node.json`), and no sender can push a member to the end of the range.
    public static let counterMax = UInt64(Int64.max)
}
