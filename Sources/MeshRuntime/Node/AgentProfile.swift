import MeshCore

/// One agent profile from the node's config: the name tasks ask for, the local command that runs
/// it, how many may run at once, and its tags. The command never leaves this machine: capacity
/// records carry only the name, slots and tags.
public struct AgentProfile: Sendable, Equatable {
    /// Arguments in one command, at most.
    public static let argumentsMax = 64
    /// Bytes in one argument, at most.
    public static let argumentBytesMax = 4096

    /// The profile name (letters, digits, `-_.`, ≤ `CapacityLimits.nameBytesMax` bytes).
    public var name: String
    /// The argv to run: the program, then its arguments. Never from the wire.
    public var command: [String]
    /// Runs of this profile at once (1…`CapacityLimits.slotsMax`).
    public var slots: Int
    /// Tags of this profile.
    public var tags: [String]

    /// A profile.
    public init(name: String, command: [String], slots: Int, tags: [String] = []) {
        self.name = name; self.command = command; self.slots = slots; self.tags = tags
    }

    /// What capacity records advertise: never the command.
    public var advertised: CapacityProfile { CapacityProfile(name: name, slots: slots, busy: 0, tags: tags) }
}
