extension TaskRecord {
    /// The task as `GET /v1/tasks/{id}` and `mesh task ID --json` print it:
    /// `{"id", "profile", "state", "attempt", "owner", "copies", "history": [...]}`.
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("id", .string(id.description)), ("profile", .string(spec.profile)), ("state", .string(state.rawValue)),
            ("attempt", .integer(Int64(progress.attempt))), ("owner", .string(progress.owner)),
            ("copies", .integer(Int64(progress.copies))), ("history", .array(history.map(\.json)))]
        if !spec.attachments.isEmpty { members.append(("attachments", .array(spec.attachments.map(\.json)))) }
        return .object(members)
    }

    /// The answer to an accepted submission: `{"id", "state", "copies"}`.
    public var acceptedJSON: JSONValue {
        .object([("id", .string(id.description)), ("state", .string(state.rawValue)), ("copies", .integer(Int64(progress.copies)))])
    }
}
