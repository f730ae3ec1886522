import MeshCore

/// A2A streams as Server-Sent Events over a `StreamingAnswer`: each JSON-RPC response is one event
/// (`data:` line); an error response is named `error`, which the SDK raises as its A2A error; a
/// keep-alive is a comment line.
final class A2AEventOutput: A2AOutput {
    private let answer: StreamingAnswer

    init(_ answer: StreamingAnswer) { self.answer = answer }

    var isOpen: Bool { answer.isOpen }

    func send(_ response: JSONValue) { answer.send(Self.frame(response)) }

    func keepAlive() { answer.send(Array(": keep-alive\n\n".utf8)) }

    func finish() { answer.finish() }

    func whenEnded(_ action: @escaping () -> Void) { answer.onEnd = action }

    /// `response` as one event (its JSON holds no line end, so one `data:` line).
    static func frame(_ response: JSONValue) -> Bytes {
        let name = response["error"] != nil ? "event: error\n" : ""
        return Array((name + "data: " + response.serialized() + "\n\n").utf8)
    }
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
