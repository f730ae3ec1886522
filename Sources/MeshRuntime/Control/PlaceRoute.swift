import MeshCore

/// `GET /v1/place?key=K&profile=P[&tag=T…]`: the owner and replicas this node's view gives for a
/// key, and why other members were skipped: `{"owner": NAME|null, "replicas": [NAME…],
/// "skipped": [{"name", "reason", "detail"}]}` (`reason`: `notAlive`, `lacksProfile`, `lacksTag`,
/// `full`). A profile no alive member advertises is a 404 that lists the profiles there are.
enum PlaceRoute {
    /// Bytes of a key, at most.
    static let keyBytesMax = 1024
    /// Required tags in one query, at most.
    static let tagsMax = CapacityLimits.tagsMax

    /// The answer for `query` (the request's query string) on `membership`'s view.
    static func answer(query: String, membership: Membership) -> HTTPResponse {
        let parameters = parse(query)
        guard let key = parameters.first(where: { $0.0 == "key" })?.1, !key.isEmpty, key.utf8.count <= keyBytesMax else {
            return .error(400, "give key=KEY (1 to \(keyBytesMax) bytes)")
        }
        guard let profile = parameters.first(where: { $0.0 == "profile" })?.1, !profile.isEmpty else {
            return .error(400, "give profile=PROFILE")
        }
        let tags = parameters.filter { $0.0 == "tag" }.map(\.1)
        guard tags.count <= tagsMax else { return .error(400, "at most \(tagsMax) tags") }
        guard membership.profileIsAdvertised(profile) else {
            let known = membership.advertisedProfiles
            return .error(404, "no alive member advertises profile '\(MemberName.printable(profile))' (profiles in the mesh: \(known.isEmpty ? "none" : known.joined(separator: ", ")))")
        }
        let view = PlacementView(candidates: membership.placementCandidates)
        let placement = view.place(PlacementQuery(key: key, profile: profile, requiredTags: tags))
        return .json(.object([
            ("owner", placement.owner.map { .string($0) } ?? .null),
            ("replicas", .array(placement.replicas.map { .string($0) })),
            ("skipped", .array(placement.skipped.map { skip in
                .object([("name", .string(skip.name)), ("reason", .string(skip.reason.code)),
                         ("detail", .string(skip.reason.description))])
            })),
        ]))
    }

    /// `a=1&b=x%20y` → [("a", "1"), ("b", "x y")]; `+` is a space. Undecodable escapes stay as written.
    static func parse(_ query: String) -> [(String, String)] {
        query.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "+") { bytes.append(32); continue }
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
               let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
                continue
            }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
