extension Placement {
    /// `{"owner": NAME|null, "replicas": [NAME…], "skipped": [{"name", "reason", "detail"}…]}`:
    /// `reason` is the machine word (`notAlive`, `lacksProfile`, `lacksTag`, `full`), `detail` the
    /// line for people (`lacks tag gpu`, `full (4 of 4 assigned)`). The shape `mesh place --json` prints.
    public var json: JSONValue {
        .object([
            ("owner", owner.map { .string($0) } ?? .null),
            ("replicas", .array(replicas.map { .string($0) })),
            ("skipped", .array(skipped.map { skip in
                .object([("name", .string(skip.name)), ("reason", .string(skip.reason.code)),
                         ("detail", .string(skip.reason.description))])
            })),
        ])
    }
}
