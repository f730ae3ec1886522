import MeshCore

/// Sites: named groups of nodes, each with its own link model inside, and one link model between
/// each pair of sites, so a mesh of two LANs joined by a WAN link can be described.
///
/// ```
/// "sites": [{"name": "eu", "nodes": "0-9", "link": {"delayMs": 0.5}},
///           {"name": "us", "nodes": "10-19", "link": {"delayMs": 0.5}}],
/// "siteLinks": [{"between": ["eu", "us"], "link": {"delayMs": 100, "jitterMs": 30, "loss": 0.02}}]
/// ```
///
/// Nodes outside every site, and anything between them and a site, use the top-level `link`.
extension Scenario {
    /// One site: its nodes and the link between any two of them.
    public struct Site: Sendable, Equatable {
        /// The site's name, unique in the scenario.
        public var name: String
        /// The node indices in the site (no node is in two sites).
        public var nodes: [Int]
        /// The link between two nodes of this site.
        public var link: Link
    }

    /// The most sites a scenario may name (the pair table grows with the square).
    static let sitesMax = 64

    /// Reads `sites` and `siteLinks`; every pair of sites needs a link.
    mutating func parseSites(_ reader: JSONReader) throws {
        let entries = try reader.array("sites")
        guard entries.count <= Self.sitesMax else {
            throw ScenarioError(description: "\(name).sites: at most \(Self.sitesMax) sites")
        }
        var owner = [Int](repeating: -1, count: nodes)
        for (i, entry) in entries.enumerated() {
            let path = "\(name).sites[\(i)]"
            guard let fields = entry.object else { throw ScenarioError(description: "\(path): must be an object") }
            let s = JSONReader(fields, path: path)
            try s.rejectUnknown(["name", "nodes", "link"])
            let siteName = try s.string("name")
            guard !sites.contains(where: { $0.name == siteName }) else {
                throw ScenarioError(description: "\(path).name: '\(siteName)' is named twice")
            }
            guard let value = fields.first(where: { $0.0 == "nodes" })?.1 else {
                throw ScenarioError(description: "\(path).nodes: is required")
            }
            let members = try Scenario.parseNodeSet(value, nodes: nodes, path: "\(path).nodes")
            for n in members where owner[n] >= 0 {
                throw ScenarioError(description: "\(path).nodes: node \(n) is already in site '\(sites[owner[n]].name)'")
            }
            for n in members { owner[n] = sites.count }
            sites.append(Site(name: siteName, nodes: members, link: try Scenario.parseLink(s.object("link"), name: path)))
        }
        siteOf = owner
        try parseSiteLinks(reader)
    }

    private mutating func parseSiteLinks(_ reader: JSONReader) throws {
        let count = sites.count
        var table = [Link?](repeating: nil, count: count * count)
        for (i, entry) in try reader.array("siteLinks").enumerated() {
            let path = "\(name).siteLinks[\(i)]"
            guard let fields = entry.object else { throw ScenarioError(description: "\(path): must be an object") }
            let l = JSONReader(fields, path: path)
            try l.rejectUnknown(["between", "link"])
            let between = try l.array("between").map { $0.string ?? "" }
            guard between.count == 2, let a = sites.firstIndex(where: { $0.name == between[0] }),
                  let b = sites.firstIndex(where: { $0.name == between[1] }), a != b else {
                throw ScenarioError(description: "\(path).between: must name two different sites")
            }
            guard table[a * count + b] == nil else {
                throw ScenarioError(description: "\(path).between: \(between[0])–\(between[1]) is given twice")
            }
            let link = try Scenario.parseLink(l.object("link"), name: path)
            table[a * count + b] = link
            table[b * count + a] = link
        }
        for a in 0..<count { table[a * count + a] = sites[a].link }
        for a in 0..<count {
            for b in 0..<count where table[a * count + b] == nil {
                throw ScenarioError(description: "\(name).siteLinks: no link between '\(sites[a].name)' and '\(sites[b].name)'")
            }
        }
        siteLinkTable = table.map { $0 ?? link }
    }

    /// The link from node `a` to node `b`: their sites' link, or the top-level one.
    func link(from a: Int, to b: Int) -> Link {
        guard !sites.isEmpty, a >= 0, b >= 0, a < siteOf.count, b < siteOf.count else { return link }
        let sa = siteOf[a], sb = siteOf[b]
        guard sa >= 0, sb >= 0 else { return link }
        return siteLinkTable[sa * sites.count + sb]
    }
}
