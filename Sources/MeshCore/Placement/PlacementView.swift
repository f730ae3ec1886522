/// This node's view for placement: the candidates it knows (from membership and capacity gossip)
/// and the replica ring over them. Two nodes with the same facts compute the same placements.
///
/// `place(_:assigned:)` builds the profile ring on every call (fine for `mesh place`); a caller that
/// places many tasks keeps `ring(for:)` and `replicaRing` until membership or capacity changes and
/// calls `place(_:on:loads:)`.
public struct PlacementView: Sendable {
    /// The facts, as given.
    public let candidates: [PlacementCandidate]
    /// The settings every ring of this view uses.
    public let settings: PlacementSettings
    /// All alive members, equal weight: where replicas come from.
    public let replicaRing: ReplicaRing

    /// A view of `candidates` (any order).
    public init(candidates: [PlacementCandidate], settings: PlacementSettings = PlacementSettings()) {
        self.candidates = candidates
        self.settings = settings
        self.replicaRing = ReplicaRing(candidates: candidates, settings: settings)
    }

    /// The ring for the query's placement class (its profile and required tags).
    public func ring(for query: PlacementQuery) -> PlacementRing {
        PlacementRing(candidates: candidates, profile: query.profile, requiredTags: query.requiredTags,
                      settings: settings)
    }

    /// Owner, replicas and skipped members for `query`, given member name → tasks of the query's
    /// profile already assigned to it.
    public func place(_ query: PlacementQuery, assigned: [String: Int] = [:]) -> Placement {
        let ring = ring(for: query)
        return place(query, on: ring, loads: ring.loads(assigned))
    }

    /// Owner, replicas and skipped members for `query` on a ring the caller keeps (built for the
    /// query's profile and tags from this view's candidates), with its loads. With no owner (no
    /// eligible member, or all full) the replicas are still chosen, so the task can be stored.
    public func place(_ query: PlacementQuery, on ring: PlacementRing, loads: PlacementLoads) -> Placement {
        let (owner, skipped) = ring.explain(key: query.key, loads: loads)
        let replicas = replicaRing.replicas(forKeyHash: PlacementHash.keyHash(query.key),
                                            count: query.replicaCount, excluding: owner)
        return Placement(owner: owner, replicas: replicas, skipped: skipped)
    }
}
