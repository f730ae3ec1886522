/// The placement rings a node's submissions are placed on, kept while the candidates stay the
/// same (`TaskPeers.placementVersion`) instead of built for every submission: a ring build hashes
/// and sorts every virtual point, which was a visible part of a busy node's CPU. A kept ring gives
/// the same answer as a fresh one, since the version changes whenever a candidate does.
struct TaskPlacementCache: Sendable {
    /// Rings kept per placement class at most; past it the cache starts over.
    static let ringsMax = 64

    private var version: UInt64?
    private var view: PlacementView?
    /// Placement class (profile and required tags) → its ring.
    private var rings: [String: PlacementRing] = [:]

    /// Owner, replicas and skipped members for `query` among `peers.candidates`, with the loads
    /// in `peers.assigned`: what `PlacementView(candidates:).place(_:assigned:)` answers.
    mutating func place(_ query: PlacementQuery, peers: TaskPeers) -> Placement {
        guard let placementVersion = peers.placementVersion else {
            return PlacementView(candidates: peers.candidates).place(query, assigned: peers.assigned)
        }
        if version != placementVersion || view == nil || rings.count >= Self.ringsMax {
            version = placementVersion
            view = PlacementView(candidates: peers.candidates)
            rings.removeAll(keepingCapacity: true)
        }
        let view = view!
        let key = ([query.profile] + query.requiredTags).joined(separator: "\u{0}")
        let ring: PlacementRing
        if let kept = rings[key] {
            ring = kept
        } else {
            ring = view.ring(for: query)
            rings[key] = ring
        }
        return view.place(query, on: ring, loads: ring.loads(peers.assigned))
    }
}
