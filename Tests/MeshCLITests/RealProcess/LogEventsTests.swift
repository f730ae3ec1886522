import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import MeshTestSupport
import Testing

/// The logs route as Server-Sent Events between real nodes on 127.0.83.x (issue 13 §1).
@Suite("Real nodes: logs as Server-Sent Events", .serialized, .timeLimit(.minutes(5)))
struct LogEventsTests {
    /// Prints a line, bytes that are not UTF-8 (and a CR), waits for the gate, prints more.
    static func profiles(_ directory: String) -> String {
        """
        {"profiles": [{"name": "gated", "command": ["/bin/sh", "-c", "cat > /dev/null; echo first line; printf 'caf\\\\303\\\\251 \\\\377\\\\376\\\\r\\\\n'; while [ ! -e \(directory)/gate ]; do sleep 0.05; done; echo second line; echo third line"], "slots": 4}]}
        """
    }

    @Test("a reader on another node gets events while the agent prints, disconnects, and resumes with Last-Event-ID with no byte repeated or missing")
    func resumedEvents() async throws {
        let cluster = try TestCluster(subnet: 83)
        defer { cluster.shutdown() }
        try await cluster.startTaskNodes(3, profiles: Self.profiles(cluster.directory))
        let id = try #require(cluster.submit(TaskSpec(profile: "gated", prompt: "x"), through: 1))
        var executor = ""
        await cluster.eventually("the task runs", timeout: 20) {
            guard let record = cluster.task(id, from: 1), record.taskState == "running" else { return false }
            executor = record.events("running").last?["node"]?.string ?? ""
            return true
        }
        let reader = try #require([1, 2, 3].first { "t\($0)" != executor })
        let host = cluster.ip(reader), port = cluster.port + 1
        func ask(_ extra: String) -> String {
            "GET /v1/tasks/\(id)/logs?follow=1 HTTP/1.1\r\nHost: \(host):\(port)\r\nAccept: text/event-stream\r\n\(extra)\r\n"
        }
        // First connection: read until the bytes printed before the gate have come, then leave.
        let first = try #require(RawHTTP.connect(host, port))
        #expect(RawHTTP.send(first, Array(ask("").utf8)))
        var early = SSEReading()
        await cluster.eventually("the events before the gate came", timeout: 20) {
            early.receive(first)
            return early.bytes.count >= 21
        }
        close(first)
        #expect(early.head.contains("Content-Type: text/event-stream"), "\(early.head)")
        #expect(early.events.contains { $0.name == "log64" }, "the non-UTF-8 bytes came as log64: \(early.events)")
        #expect(cluster.task(id, from: 1)?.taskState == "running", "the agent still runs (it waits for the gate)")
        let lastID = try #require(early.events.last?.id)
        #expect(!early.events.contains { $0.name == "end" })
        // Second connection, after the gate: exactly the rest.
        FileManager.default.createFile(atPath: cluster.directory + "/gate", contents: Data())
        let second = try #require(RawHTTP.connect(host, port, timeoutSeconds: 20))
        defer { close(second) }
        #expect(RawHTTP.send(second, Array(ask("Last-Event-ID: \(lastID)\r\n").utf8)))
        var rest = SSEReading()
        await cluster.eventually("the stream ended", timeout: 30) {
            rest.receive(second)
            return rest.events.contains { $0.name == "end" }
        }
        let whole = early.bytes + rest.bytes
        let expected = Array("first line\ncafé ".utf8) + [0xFF, 0xFE, 13, 10] + Array("second line\nthird line\n".utf8)
        #expect(whole == expected, "\(String(decoding: whole, as: UTF8.self))")
        let end = try #require(rest.events.last)
        #expect(end.name == "end" && end.id == "1:\(expected.count)" && end.data.contains(#""state":"#), "\(end)")
        // Every id is the offset just after its bytes.
        var offset = 0
        for event in early.events + rest.events where event.name != "end" {
            offset += event.bytes.count
            #expect(event.id == "1:\(offset)", "\(event)")
        }
        // A bad cursor is refused, naming the header.
        let (status, answer) = RawHTTP.exchange(host, port, ask("Last-Event-ID: nope\r\n"))
        #expect(status == 400 && answer.contains("Last-Event-ID"), "\(answer)")
    }
}

/// One event of a stream, with the log bytes it carries.
struct SSEEvent: CustomStringConvertible {
    var name = "message", id = "", data = ""
    var bytes: [UInt8] { name == "log64" ? Array(Data(base64Encoded: data) ?? Data()) : name == "log" ? Array(data.utf8) : [] }
    var description: String { "\(name) \(id) \(data.debugDescription)" }
}

/// What a client has read of a chunked Server-Sent Events response so far.
struct SSEReading {
    var raw: [UInt8] = []
    var head = ""
    var events: [SSEEvent] = []
    var bytes: [UInt8] { events.flatMap(\.bytes) }

    /// Reads what has come (waits at most the socket's receive timeout) and parses it again.
    mutating func receive(_ fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        let count = recv(fd, &buffer, buffer.count, 0)
        if count > 0 { raw += buffer[0..<count] }
        parse()
    }

    private mutating func parse() {
        guard let split = Self.find([13, 10, 13, 10], in: raw, from: 0) else { return }
        head = String(decoding: raw[..<split], as: UTF8.self)
        var at = split + 4, stream: [UInt8] = []
        while let line = Self.find([13, 10], in: raw, from: at),
              let size = Int(String(decoding: raw[at..<line], as: UTF8.self), radix: 16), raw.count >= line + 2 + size {
            stream += raw[(line + 2)..<(line + 2 + size)]
            at = line + 4 + size
        }
        events = String(decoding: stream, as: UTF8.self).components(separatedBy: "\n\n").dropLast().compactMap(Self.event)
    }

    private static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard bytes.count >= needle.count, start <= bytes.count - needle.count else { return nil }
        return (start...(bytes.count - needle.count)).first { Array(bytes[$0..<($0 + needle.count)]) == needle }
    }

    private static func event(_ block: String) -> SSEEvent? {
        var event = SSEEvent(), lines: [String] = []
        for line in block.split(separator: "\n", omittingEmptySubsequences: false) where !line.hasPrefix(":") {
            if line.hasPrefix("event: ") { event.name = String(line.dropFirst(7)) }
            if line.hasPrefix("id: ") { event.id = String(line.dropFirst(4)) }
            if line.hasPrefix("data: ") { lines.append(String(line.dropFirst(6))) }
        }
        event.data = lines.joined(separator: "\n")
        return lines.isEmpty && event.id.isEmpty ? nil : event
    }
}
