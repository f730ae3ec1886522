import MeshCore

/// A2A streams on the control server's Server-Sent Events (`EventStream`): each JSON-RPC
/// response is one event (one `data:` line); an error response is named `error`, which the SDK
/// raises as its A2A error. The stream keeps itself alive with comment lines at the interval its
/// route asked for (`A2ALimits.keepAliveInterval`).
final class A2AEventOutput: A2AOutput {
    private let stream: EventStream

    init(_ stream: EventStream) { self.stream = stream }

    var isOpen: Bool { stream.isOpen }

    func send(_ response: JSONValue) {
        stream.send(event: response["error"] != nil ? "error" : nil, data: response.serialized())
    }

    /// Nothing: the stream's own timer sends the comment lines.
    func keepAlive() {}

    func finish() { stream.close() }

    func whenEnded(_ action: @escaping () -> Void) { stream.onClose = action }
}

/// A blocking `SendMessage` answer: the JSON-RPC response once the task is over, preceded by a
/// space every keep-alive interval while it waits (whitespace before JSON is still JSON, so any
/// JSON parser reads the answer, and a client's read timeout does not fire).
final class A2AWaitingOutput: A2AOutput {
    private let answer: StreamingAnswer

    init(_ answer: StreamingAnswer) { self.answer = answer }

    var isOpen: Bool { answer.isOpen }

    func send(_ response: JSONValue) { answer.send(Array((response.serialized() + "\n").utf8)) }

    func keepAlive() { answer.send([UInt8(ascii: " ")]) }

    func finish() { answer.finish() }

    func whenEnded(_ action: @escaping () -> Void) { answer.onEnd = action }
}
