import MeshCore

/// One agent profile from the node's config: the name tasks ask for, the local command that runs
/// it, how many may run at once, its tags, and how its attempts run (environment, declared
/// outputs, cancel grace, stall watchdog). The command and the environment never leave this
/// machine: capacity records carry only the name, slots and tags.
public struct AgentProfile: Sendable, Equatable {
    /// Arguments in one command, at most.
    public static let argumentsMax = 64
    /// Bytes in one argument, at most.
    public static let argumentBytesMax = 4096
    /// Environment variable names one profile may pass, at most.
    public static let environmentNamesMax = 64
    /// The grace between SIGTERM and SIGKILL when nothing else is configured (issue 10 §5).
    public static let cancelGraceDefault: Nanoseconds = .milliseconds(500)
    /// The longest grace a profile may set.
    public static let cancelGraceMax: Nanoseconds = .seconds(60)
    /// The shortest stall time a profile may set (`stallAfter`).
    public static let stallAfterMin: Nanoseconds = .seconds(1)

    /// The profile name (letters, digits, `-_.`, ≤ `CapacityLimits.nameBytesMax` bytes).
    public var name: String
    /// The argv to run: the program, then its arguments. Never from the wire.
    public var command: [String]
    /// Runs of this profile at once (1…`CapacityLimits.slotsMax`).
    public var slots: Int
    /// Tags of this profile.
    public var tags: [String]
    /// Names of variables the agent gets from the node's own environment (API keys): the values
    /// stay on this machine, and nothing a submitter sends reaches the environment.
    public var environment: [String]
    /// Declared outputs every attempt of this profile must leave in `artifacts/`.
    public var expect: [String]
    /// How long a stopped attempt has between SIGTERM and SIGKILL.
    public var cancelGrace: Nanoseconds
    /// Kill and retry an attempt that printed nothing for this long; nil: no stall watchdog
    /// (the default: `claude -p` prints nothing until it finishes).
    public var stallAfter: Nanoseconds?

    /// A profile.
    public init(name: String, command: [String], slots: Int, tags: [String] = [], environment: [String] = [],
                expect: [String] = [], cancelGrace: Nanoseconds = AgentProfile.cancelGraceDefault, stallAfter: Nanoseconds? = nil) {
        self.name = name; self.command = command; self.slots = slots; self.tags = tags
        self.environment = environment; self.expect = expect; self.cancelGrace = cancelGrace; self.stallAfter = stallAfter
    }

    /// What capacity records advertise: never the command.
    public var advertised: CapacityProfile { CapacityProfile(name: name, slots: slots, busy: 0, tags: tags) }

    /// Why `name` cannot be an environment variable a profile passes, or nil: letters, digits and
    /// `_`, not starting with a digit, at most 128 bytes, and not one the runtime sets itself.
    public static func environmentNameError(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        let isWord = bytes.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F }
        guard !bytes.isEmpty, bytes.count <= 128, isWord, !(bytes[0] >= 0x30 && bytes[0] <= 0x39) else {
            return "'\(name.prefix(64))' is not a variable name (letters, digits and '_', not starting with a digit)"
        }
        if AgentEnvironment.runtimeNames.contains(name) { return "'\(name)' is set by the mesh itself" }
        return nil
    }
}
