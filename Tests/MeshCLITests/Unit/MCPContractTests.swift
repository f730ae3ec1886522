import Foundation
import Glibc
import MeshCore
@testable import MeshCLI
@testable import MeshRuntime
import Testing

/// The log, artifact and cancel tools against a loopback stub that answers exactly as the shared
/// evidence contract describes those routes (chunked logs with cursor headers, artifact listings
/// and bytes with `X-Mesh-SHA256`, cancel's 200/409), over real sockets.
@Suite("mesh mcp: tools against the evidence contract", .serialized, .timeLimit(.minutes(2)))
struct MCPContractTests {
    /// Answers every connection with `route(method, target)` until stopped.
    final class Stub: @unchecked Sendable {
        let port: UInt16
        private let listener: Int32
        private let lock = NSLock()
        private var stopped = false

        init(_ route: @escaping @Sendable (String, String) -> String) throws {
            listener = try Sockets.listener(boundTo: .ipv4(Address(127, 0, 80, 240, port: 0)))
            guard case .ipv4(let bound)? = Sockets.localEndpoint(listener) else { throw SystemError(call: "getsockname", code: EINVAL) }
            port = bound.port
            let listener = listener
            Thread.detachNewThread { [self] in
                while !lock.withLock({ stopped }) {
                    var entry = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
                    guard poll(&entry, 1, 50) > 0, let (fd, _) = (try? Sockets.accept(listener)) ?? nil else { continue }
                    Self.answer(fd, route)
                }
                closeDescriptor(listener)
            }
        }

        func stop() { lock.withLock { stopped = true } }

        private static func answer(_ fd: Int32, _ route: (String, String) -> String) {
            defer { closeDescriptor(fd) }
            var request = Bytes()
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !request.contains(13) || String(decoding: request, as: UTF8.self).range(of: "\r\n\r\n") == nil {
                var readable = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&readable, 1, 5_000) > 0 else { return }
                let count = recv(fd, &buffer, buffer.count, 0)
                guard count > 0 else { return }
                request.append(contentsOf: buffer[0..<count])
            }
            let words = String(decoding: request, as: UTF8.self).split(separator: " ", maxSplits: 2)
            let bytes = Array(route(String(words[0]), String(words[1])).utf8)
            var offset = 0
            while offset < bytes.count {
                let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard sent > 0 else { return }
                offset += sent
            }
        }
    }

    static let done = "0123456789abcdef0123456789abcdef"
    static let running = "fedcba9876543210fedcba9876543210"
    static let log = "line one\nété\nline three\n"
    static let hello = Array("hello".utf8)

    static func hex(_ bytes: Bytes) -> String { MeshKey.hex(SHA256.hash(bytes)) }

    static func json(_ status: Int, _ body: String, headers: String = "") -> String {
        "HTTP/1.1 \(status) X\r\nContent-Type: application/json\r\n\(headers)Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    static let files = #"[{"name":"out file.txt","size":5,"sha256":"\#(hex(hello))"},{"name":"bad.bin","size":3,"sha256":"\#(hex(Array("abc".utf8)))"}]"#

    /// The contract's answers for task `done` (succeeded, two artifacts: one served as recorded,
    /// one served with other bytes) and task `running`.
    static func route(_ method: String, _ target: String) -> String {
        switch (method, target) {
        case ("GET", "/v1/tasks/\(done)"):
            return json(200, #"{"id":"\#(done)","state":"succeeded","attempt":1,"history":[{"state":"accepted"},{"state":"succeeded","artifacts":\#(files)}]}"#)
        case ("GET", "/v1/tasks/\(running)"): return json(200, #"{"id":"\#(running)","state":"running","attempt":2,"history":[]}"#)
        case ("GET", "/v1/tasks/\(done)/artifacts"): return json(200, #"{"task":"\#(done)","attempt":1,"node":"n1","artifacts":\#(files)}"#)
        case ("GET", "/v1/tasks/\(done)/artifacts/out%20file.txt"):
            return "HTTP/1.1 200 OK\r\nX-Mesh-SHA256: \(hex(hello))\r\nContent-Length: 5\r\n\r\nhello"
        case ("GET", "/v1/tasks/\(done)/artifacts/bad.bin"): return "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nxyz"
        case ("POST", "/v1/tasks/\(done)/cancel"): return json(409, #"{"error":"task \#(done) already finished (succeeded)"}"#)
        case ("POST", "/v1/tasks/\(running)/cancel"): return json(200, #"{"id":"\#(running)","state":"cancelled","attempt":2,"history":[]}"#)
        default:
            guard method == "GET", target.hasPrefix("/v1/tasks/\(done)/logs?attempt=1&from="),
                  let from = Int(target.split(separator: "=").last ?? ""), from <= log.utf8.count else {
                return json(404, #"{"error":"no such task","code":"not_found"}"#)
            }
            let rest = Array(log.utf8)[from...]
            let chunks = rest.isEmpty ? "" : String(rest.count, radix: 16) + "\r\n" + String(decoding: rest, as: UTF8.self) + "\r\n"
            return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Mesh-Log-Attempt: 1\r\nX-Mesh-Log-Offset: \(from)\r\n\r\n\(chunks)0\r\n\r\n"
        }
    }

    static func call(_ tools: MeshTools, _ name: String, _ arguments: [(String, JSONValue)]) -> ToolResult {
        tools.call(name, arguments: .object(arguments), cancel: CancelFlag())
    }

    @Test("task_logs reads from a cursor, cuts on a character boundary, and says where to read on")
    func logs() throws {
        let stub = try Stub(Self.route)
        defer { stub.stop() }
        let tools = MeshTools(client: ControlClient(endpoint: .ipv4(Address(127, 0, 80, 240, port: stub.port))))
        let first = try #require(Self.call(tools, "task_logs", [("id", .string(Self.done)), ("maxBytes", .integer(11))]).structured)
        #expect(first["text"]?.string == "line one\n\u{E9}" && first["nextCursor"]?.string == "1:11" && first["more"] == .bool(true), "\(first)")
        let rest = try #require(Self.call(tools, "task_logs", [("id", .string(Self.done)), ("cursor", .string("1:11"))]).structured)
        #expect(rest["text"]?.string == "t\u{E9}\nline three\n" && rest["nextCursor"]?.string == "1:\(Self.log.utf8.count)", "\(rest)")
        let end = try #require(Self.call(tools, "task_logs", [("id", .string(Self.done)), ("cursor", .string("1:\(Self.log.utf8.count)"))]).structured)
        #expect(end["bytes"]?.integer == 0 && end["text"]?.string == "" && end["more"] == .bool(false))
        let unknown = Self.call(tools, "task_logs", [("id", .string(String(repeating: "1", count: 32)))])
        #expect(unknown.isError && unknown.text.contains("no such task"))
    }

    @Test("fetch_artifacts writes what matches the history, refuses what does not, and skips what is already there")
    func artifacts() throws {
        let stub = try Stub(Self.route)
        defer { stub.stop() }
        let tools = MeshTools(client: ControlClient(endpoint: .ipv4(Address(127, 0, 80, 240, port: stub.port))))
        let directory = NSTemporaryDirectory() + "mesh-mcp-\(UUID().uuidString)/out"
        defer { try? FileManager.default.removeItem(atPath: (directory as NSString).deletingLastPathComponent) }
        let both = Self.call(tools, "fetch_artifacts", [("id", .string(Self.done)), ("directory", .string(directory))])
        #expect(both.isError && both.text.contains("'bad.bin': the bytes served") && both.text.contains("written: out file.txt"), "\(both.text)")
        #expect(try Files.read(directory + "/out file.txt") == Self.hello && !Files.exists(directory + "/bad.bin"))
        let one = try #require(Self.call(tools, "fetch_artifacts", [("id", .string(Self.done)), ("directory", .string(directory)),
                                                                    ("names", .array([.string("out file.txt")]))]).structured)
        #expect(one["files"]?.array?.first?["written"] == .bool(false) && one["node"]?.string == "n1", "\(one)")
        try Files.writeAtomically(directory + "/out file.txt", Array("other".utf8))
        let clash = Self.call(tools, "fetch_artifacts", [("id", .string(Self.done)), ("directory", .string(directory)),
                                                         ("names", .array([.string("out file.txt")]))])
        #expect(clash.isError && clash.text.contains("exists with other content"))
        let replaced = Self.call(tools, "fetch_artifacts", [("id", .string(Self.done)), ("directory", .string(directory)),
                                                            ("names", .array([.string("out file.txt")])), ("overwrite", .bool(true))])
        #expect(try !replaced.isError && Files.read(directory + "/out file.txt") == Self.hello)
        let missing = Self.call(tools, "fetch_artifacts", [("id", .string(Self.done)), ("directory", .string(directory)),
                                                           ("names", .array([.string("nope")]))])
        #expect(missing.isError && missing.text.contains("has no artifact 'nope'"))
    }

    @Test("cancel_task answers the cancelled record, and a clear error for a finished task or an older node")
    func cancel() throws {
        let stub = try Stub(Self.route)
        defer { stub.stop() }
        let tools = MeshTools(client: ControlClient(endpoint: .ipv4(Address(127, 0, 80, 240, port: stub.port))))
        #expect(Self.call(tools, "cancel_task", [("id", .string(Self.running))]).structured?["state"]?.string == "cancelled")
        let finished = Self.call(tools, "cancel_task", [("id", .string(Self.done))])
        #expect(finished.isError && finished.text.contains("cannot cancel: task \(Self.done) already finished"))
        let older = try Stub { _, _ in Self.json(405, #"{"error":"POST is not allowed"}"#) }
        defer { older.stop() }
        let old = MeshTools(client: ControlClient(endpoint: .ipv4(Address(127, 0, 80, 240, port: older.port))))
        let refused = Self.call(old, "cancel_task", [("id", .string(Self.running))])
        #expect(refused.isError && refused.text.contains("does not serve task cancellation"))
    }
}
