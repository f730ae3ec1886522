import Dispatch
import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import Testing

/// The stream transport over real loopback sockets: it only moves bytes, numbers inbound streams,
/// and refuses a host that opens too many connections at once.
@Suite("Stream transport over real sockets", .timeLimit(.minutes(5)))
struct StreamTransportTests {
    /// Inputs the transport delivered, read and written on the transport's queue only.
    final class Inbox: @unchecked Sendable {
        var inputs: [Input] = []
    }

    static func makeTransport(perSourceMax: Int, queue: DispatchQueue, inbox: Inbox) throws -> (StreamTransport, Address) {
        let transport = try StreamTransport(bind: Address(127, 0, 32, 2, port: 0), perSourceMax: perSourceMax,
                                            connectionsMax: 16, queue: queue) { inbox.inputs.append($0) }
        queue.sync { transport.start() }
        guard case .ipv4(let address)? = Sockets.localEndpoint(transport.fd) else { throw SystemError(call: "getsockname", code: EINVAL) }
        return (transport, address)
    }

    static func waitUntil(_ queue: DispatchQueue, _ condition: @escaping @Sendable () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if queue.sync(execute: condition) { return true }
            usleep(5_000)
        }
        return false
    }

    static func rawSend(_ fd: Int32, _ bytes: Bytes) {
        var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        _ = poll(&entry, 1, 2_000)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    @Test("bytes in become streamData of a numbered inbound stream; bytes written go out; close flushes first")
    func movesBytes() throws {
        let queue = DispatchQueue(label: "test.transport")
        let inbox = Inbox()
        let (transport, address) = try Self.makeTransport(perSourceMax: 4, queue: queue, inbox: inbox)
        defer { queue.sync { transport.stop() } }
        let fd = try Sockets.connect(to: .ipv4(address), from: Address(127, 0, 32, 3, port: 0)).fd
        defer { closeDescriptor(fd) }
        Self.rawSend(fd, [1, 2, 3])
        #expect(Self.waitUntil(queue) { inbox.inputs.contains(.streamData(.inbound(1), [1, 2, 3])) })
        let accepted = queue.sync { inbox.inputs.first }
        #expect(accepted == .streamAccepted(.inbound(1), from: Address(127, 0, 32, 3, port: accepted.flatMap {
            if case .streamAccepted(_, let from) = $0 { from.port } else { nil } } ?? 0)))
        queue.sync {
            transport.write(.inbound(1), [9, 8, 7])
            transport.close(.inbound(1))
        }
        var buffer = [UInt8](repeating: 0, count: 16)
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        #expect(poll(&entry, 1, 3_000) == 1)
        #expect(recv(fd, &buffer, buffer.count, 0) == 3)
        #expect(Array(buffer[0..<3]) == [9, 8, 7])
        #expect(poll(&entry, 1, 3_000) == 1)
        #expect(recv(fd, &buffer, buffer.count, 0) == 0, "closed after the bytes")
        #expect(queue.sync { transport.openCount } == 0)
    }

    @Test("one host past its connection limit is refused at accept and counted; others still get in")
    func perSourceLimit() throws {
        let queue = DispatchQueue(label: "test.transport.limit")
        let inbox = Inbox()
        let (transport, address) = try Self.makeTransport(perSourceMax: 3, queue: queue, inbox: inbox)
        defer { queue.sync { transport.stop() } }
        let flood = try (0..<6).map { _ in try Sockets.connect(to: .ipv4(address), from: Address(127, 0, 32, 4, port: 0)).fd }
        defer { flood.forEach(closeDescriptor) }
        #expect(Self.waitUntil(queue) { transport.counters.refusedPerSource == 3 && transport.counters.accepted == 3 })
        let other = try Sockets.connect(to: .ipv4(address), from: Address(127, 0, 32, 5, port: 0)).fd
        defer { closeDescriptor(other) }
        #expect(Self.waitUntil(queue) { transport.counters.accepted == 4 })
        #expect(queue.sync { transport.counters.refusedPerSource } == 3)
    }

    @Test("an outbound stream to a closed port fails as streamFailed")
    func connectFailure() throws {
        let queue = DispatchQueue(label: "test.transport.out")
        let inbox = Inbox()
        let (transport, _) = try Self.makeTransport(perSourceMax: 4, queue: queue, inbox: inbox)
        defer { queue.sync { transport.stop() } }
        queue.sync { transport.open(StreamID(1), to: Address(127, 0, 32, 6, port: 9)) }
        #expect(Self.waitUntil(queue) { inbox.inputs.contains(.streamFailed(StreamID(1))) })
    }
}
