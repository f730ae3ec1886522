import MeshCore

/// The agent card every node serves at `/.well-known/agent-card.json`: the whole mesh as one A2A
/// agent. Each profile some live member advertises is a skill (id = the profile name, tags = the
/// profile's and its nodes' tags); the one interface is this node's JSON-RPC endpoint, at the
/// address the client reached it by.
public struct A2ACard: Sendable {
    /// One skill: a profile and what the mesh knows of it.
    public struct Skill: Equatable, Sendable {
        public var id: String
        public var tags: [String]
        /// Live members that advertise it.
        public var nodes: Int
        /// Their slots, summed.
        public var slots: Int
    }

    /// The skills, sorted by id.
    public var skills: [Skill]
    /// This node's name.
    public var node: String

    /// The skills of `records` (members that are down excluded by the caller), merged by profile name.
    public init(node: String, records: [CapacityRecord]) {
        var byName: [String: Skill] = [:]
        for record in records {
            for profile in record.profiles {
                var skill = byName[profile.name] ?? Skill(id: profile.name, tags: [], nodes: 0, slots: 0)
                skill.tags = Array(Set(skill.tags + profile.tags + record.tags)).sorted()
                skill.nodes &+= 1
                skill.slots = skill.slots &+ max(0, profile.slots)
                byName[profile.name] = skill
            }
        }
        self.node = node
        skills = byName.values.sorted { $0.id < $1.id }
    }

    /// The profile a message that names no skill runs: the first skill id in sorted order.
    public var defaultSkill: String? { skills.first?.id }

    /// The card, naming `origin` + `/a2a` as the JSON-RPC endpoint. With `requiresToken` (a node
    /// off loopback), it declares the bearer token every request must carry.
    public func json(origin: String, requiresToken: Bool = false) -> JSONValue {
        let interface: JSONValue = .object([("url", .string(origin + A2AProtocol.endpointPath)),
                                            ("protocolBinding", .string(A2AProtocol.binding)),
                                            ("protocolVersion", .string(A2AProtocol.version))])
        let capabilities: JSONValue = .object([("streaming", .bool(true)), ("pushNotifications", .bool(false)),
                                               ("extendedAgentCard", .bool(false))])
        let fallback = defaultSkill.map { "a message whose metadata names no skill runs '\($0)'" } ?? "no profile is advertised yet"
        let description = "A hubless mesh of machines that run agents (node \(node) answers). Each skill is an agent "
            + "profile; set the message's metadata.skill to a skill id to pick one (\(fallback)). Text parts are the prompt."
        var members: [(String, JSONValue)] = [
            ("name", .string("AgentMesh")), ("description", .string(description)), ("version", .string(MeshVersion.release)),
            ("supportedInterfaces", .array([interface])), ("capabilities", capabilities),
            ("defaultInputModes", .array([.string("text/plain"), .string("application/octet-stream")])),
            ("defaultOutputModes", .array([.string("text/plain"), .string("application/octet-stream")])),
            ("skills", .array(skills.map(Self.json))),
        ]
        if requiresToken {
            let bearer: JSONValue = .object([("httpAuthSecurityScheme", .object([("scheme", .string("Bearer")),
                                                                                ("description", .string("the node's control token"))]))])
            members.append(("securitySchemes", .object([("meshToken", bearer)])))
            members.append(("securityRequirements", .array([.object([("schemes", .object([("meshToken", .object([("list", .array([]))]))]))])])))
        }
        return .object(members)
    }

    static func json(_ skill: Skill) -> JSONValue {
        let description = "Runs the agent profile '\(skill.id)' on one of \(skill.nodes) node(s) (\(skill.slots) slot(s) in all)."
        return .object([("id", .string(skill.id)), ("name", .string(skill.id)), ("description", .string(description)),
                        ("tags", .array(skill.tags.map { .string($0) })),
                        ("inputModes", .array([.string("text/plain"), .string("application/octet-stream")])),
                        ("outputModes", .array([.string("text/plain"), .string("application/octet-stream")]))])
    }
}
