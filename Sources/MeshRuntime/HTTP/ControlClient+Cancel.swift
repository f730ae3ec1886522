import MeshCore

extension ControlClient {
    /// `POST /v1/tasks/{id}/cancel` with body `{}`: 200 with the cancelled task, 409 when it had
    /// already finished, 404, or 503. Waits as long as a submission (the owner stops the attempt
    /// and stores `cancelled` on its copies before it answers).
    public func cancelTask(_ id: TaskID) throws(Failure) -> TaskAnswer {
        var client = self
        client.timeout = max(timeout, Self.submitTimeout)
        return try client.taskAnswer("POST", "/v1/tasks/\(id)/cancel", body: Array("{}".utf8))
    }
}
