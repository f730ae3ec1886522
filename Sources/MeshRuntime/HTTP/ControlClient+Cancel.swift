import Glibc
import MeshCore

extension ControlClient {
    /// How often `awaitCancelled` reads the task while its attempt stops.
    public static let cancelPollInterval: Nanoseconds = .milliseconds(100)
    /// What `awaitCancelled` waits beyond the stop the node announced (a slow read, a retry).
    public static let cancelWaitMargin: Nanoseconds = .seconds(5)

    /// `POST /v1/tasks/{id}/cancel` with body `{}`: 200 with the cancelled task, 202 when the owner
    /// is still stopping its attempt (a long grace; see `awaitCancelled`), 409 when it had already
    /// finished, 404, or 503. Waits as long as a submission (the owner stops the attempt and stores
    /// `cancelled` on its copies before it answers 200).
    public func cancelTask(_ id: TaskID) throws(Failure) -> TaskAnswer {
        var client = self
        client.timeout = max(timeout, Self.submitTimeout)
        return try client.taskAnswer("POST", "/v1/tasks/\(id)/cancel", body: Array("{}".utf8))
    }

    /// After a `202 cancelling` answer: reads the task (`GET /v1/tasks/{id}`) every
    /// `cancelPollInterval` until it has ended, at most for the `stopWithinMs` the answer announced
    /// plus `cancelWaitMargin`. Returns the task as last read (the answer's own copy when no read
    /// succeeded): terminal when the cancel completed in time.
    public func awaitCancelled(_ id: TaskID, cancelling: TaskAnswer) -> JSONValue {
        let announced = min(max(cancelling.json["stopWithinMs"]?.integer ?? 0, 0), TaskSettings.cancelStopMax / 1_000_000)
        let deadline = SystemClock.monotonicNanoseconds() &+ announced &* 1_000_000 &+ Self.cancelWaitMargin
        var last = cancelling.json["task"] ?? .null
        while SystemClock.monotonicNanoseconds() < deadline {
            usleep(useconds_t(Self.cancelPollInterval / 1_000))
            guard let answer = try? task(id), answer.isSuccess else { continue }
            last = answer.json
            if let state = last["state"]?.string.flatMap(TaskState.init(rawValue:)), state.isTerminal { break }
        }
        return last
    }
}
