import MeshCore

/// The routes of `OpenAPIDocument`, one declaration each. Keep in step with the handlers: the
/// walk test (`Tests/MeshCLITests/Clients/openapi_walk.py`) calls every one on a real node.
extension OpenAPIDocument {
    static let idParameter = OAS.path("id", taskID, "The task's id.")
    static let get = "get", post = "post"

    static var paths: [(String, [(String, JSONValue)])] {
        membershipPaths + taskPaths + evidencePaths + edgePaths
    }

    static var membershipPaths: [(String, [(String, JSONValue)])] {
        [("/v1/status", [(get, OAS.operation("getStatus", "membership", "Every member this node knows",
            "This node first, then the others by name: state, incarnation, round trip, capacity record.",
            responses: [("200", OAS.response("The members.", OAS.ref("Status")))]))]),
         ("/v1/health", [(get, OAS.operation("getHealth", "membership", "This node's health and counters",
            "Uptime, Lifeguard health score, members by state, drops by reason, every counter.",
            responses: [("200", OAS.response("Health.", OAS.ref("Health")))]))]),
         ("/v1/info", [(get, OAS.operation("getInfo", "membership", "This node's identity and settings",
            "Name, addresses, incarnation, release, protocol versions, settings in force.",
            responses: [("200", OAS.response("Info.", OAS.ref("Info")))]))]),
         ("/v1/capacity", [(get, OAS.operation("getCapacity", "membership", "Every member's capacity record",
            "Profiles with slots and busy slots, tags, queue length, load, free memory and disk, as gossiped.",
            responses: [("200", OAS.response("The records (null for a member whose record has not arrived).", OAS.ref("CapacityListing")))]))]),
         ("/v1/events", [(get, OAS.operation("getMembershipEvents", "membership", "Membership events (long poll)",
            "Without `after`: only the cursor of the newest event. With it: the events after it at once, or the next ones within `wait` seconds, or none. At most \(OperatorState.eventWaitersMax) long polls wait at once (503 past it); the node keeps the newest \(EventLog.capacity) events.",
            parameters: [OAS.query("after", OAS.integer(minimum: 0), "Events after this sequence number.", example: .integer(0)),
                         OAS.query("wait", OAS.number(minimum: 0, maximum: Double(OperatorState.eventWaitMax / 1_000_000_000)),
                                   "Seconds to wait for a new event (default 2, at most 4).", example: .integer(0))],
            responses: [("200", OAS.response("Events.", OAS.ref("MembershipEvents")))], errors: [400]))]),
         ("/v1/rtt", [(get, OAS.operation("getRoundTrip", "membership", "The round trip one member measures to another",
            "The smoothed round trip of `from`'s direct probes of `to` (`from` defaults to this node; another member is asked).",
            parameters: [OAS.query("to", name, required: true, "The member probed."),
                         OAS.query("from", name, "The member that probes (default: this node).")],
            responses: [("200", OAS.response("The round trip.", OAS.ref("RoundTrip")))], errors: [404, 409, 422]))]),
         ("/v1/place", [(get, OAS.operation("getPlacement", "membership", "Where a key would be placed",
            "The owner and replicas this node's view gives for a key and profile, and why other members were skipped.",
            parameters: [OAS.query("key", OAS.string(minLength: 1, maxLength: PlaceRoute.keyBytesMax), required: true, "The placement key.", example: .string("repo:site")),
                         OAS.query("profile", name, required: true, "The profile.", example: .string("shell")),
                         OAS.query("tag", OAS.string(maxLength: 64), "A required tag (repeatable, at most \(PlaceRoute.tagsMax)).")],
            responses: [("200", OAS.response("The placement.", OAS.ref("Placement")))], errors: [404]))]),
         ("/v1/keys", [(get, OAS.operation("getKeys", "operator", "The keyring's fingerprints",
            "Fingerprints of this node's keys (the primary first) and the key each member tags with.",
            responses: [("200", OAS.response("Keys.", OAS.ref("Keys")))]))]),
         ] + operatorPosts
    }

    static var operatorPosts: [(String, [(String, JSONValue)])] {
        let keyBody = OAS.body(OAS.object([("key", OAS.string("A key: 44 characters of base64 (32 bytes).", maxLength: 64))], required: ["key"]),
                               "The key.")
        func keyChange(_ verb: String, _ id: String, _ text: String) -> (String, [(String, JSONValue)]) {
            ("/v1/keys/\(verb)", [(post, OAS.operation(id, "operator", text, text + " (at once; saved to the key file).",
                body: keyBody, responses: [("200", OAS.response("The keyring now.", OAS.ref("Keys")))], errors: [409, 500]))])
        }
        return [
            ("/v1/join", [(post, OAS.operation("join", "operator", "Join through seeds now",
                "Push-pull with each seed (1 to \(ControlLimits.joinSeedsMax)); answers once every exchange has ended.",
                body: OAS.body(OAS.object([("addresses", OAS.array(OAS.string("IPV4:PORT"), maxItems: ControlLimits.joinSeedsMax))],
                                          required: ["addresses"]), "Seeds.", example: .object([("addresses", .array([.string("127.0.0.1:7946")]))])),
                responses: [("200", OAS.response("One entry per seed.", OAS.object([
                    ("joined", OAS.integer(minimum: 0)),
                    ("seeds", OAS.array(OAS.object([("address", OAS.string()), ("joined", OAS.boolean), ("error", OAS.nullable(OAS.string()))])))],
                    required: ["joined", "seeds"])))], errors: [409]))]),
            ("/v1/force-leave", [(post, OAS.operation("forceLeave", "operator", "Mark a dead member left",
                "Gossips a `left` on a dead member's behalf; refused (409) for a live member.",
                body: OAS.body(OAS.object([("name", name)], required: ["name"]), "The member.", example: .object([("name", .string("c"))])),
                responses: [("200", OAS.response("Done.", OAS.object([("forced", OAS.string())], required: ["forced"])))], errors: [409]))]),
            ("/v1/leave", [(post, OAS.operation("leave", "operator", "Leave the mesh and exit",
                "Announces `left`, keeps running for the grace period, then the node exits 0. Body: `{}`.",
                body: OAS.body(OAS.object([]), "An empty object.", example: .object([])),
                responses: [("202", OAS.response("Leaving.", OAS.object([("leaving", OAS.string())], required: ["leaving"])))], errors: [409]))]),
            keyChange("install", "installKey", "Accept a new key too"),
            keyChange("use", "useKey", "Make a key the primary"),
            keyChange("remove", "removeKey", "Stop accepting a key"),
        ]
    }
}
