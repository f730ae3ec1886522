import Dispatch
import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import Testing

/// Shared streams (task traffic) on kept-open links between two real transports on loopback
/// (127.0.75.x): many streams, one connection; a broken link fails its streams; hostile link
/// input closes the link and is counted by reason.
@Suite("Stream links over real sockets", .timeLimit(.minutes(5)))
struct StreamLinksTests {
    typealias Inbox = StreamTransportTests.Inbox

    /// A transport bound to 127.0.75.`host` on a free port, and the address it listens on.
    static func transport(host: UInt8, queue: DispatchQueue, inbox: Inbox) throws -> (StreamTransport, Address) {
        let transport = try StreamTransport(bind: Address(127, 0, 75, host, port: 0), perSourceMax: 4,
                                            connectionsMax: 16, queue: queue) { inbox.inputs.append($0) }
        queue.sync { transport.start() }
        guard case .ipv4(let address)? = Sockets.localEndpoint(transport.fd) else { throw SystemError(call: "getsockname", code: EINVAL) }
        return (transport, address)
    }

    static func shared(_ value: UInt64) -> StreamID { StreamID(value, isShared: true) }

    /// The inbound streams `inbox` saw accepted, in order.
    static func accepted(_ inbox: Inbox) -> [StreamID] {
        inbox.inputs.compactMap { if case .streamAccepted(let stream, _) = $0 { stream } else { nil } }
    }

    @Test("shared streams to one peer ride one connection, both ways, and a later stream reuses it")
    func manyStreamsOneConnection() throws {
        let queue = DispatchQueue(label: "test.links")
        let (aInbox, bInbox) = (Inbox(), Inbox())
        let (a, _) = try Self.transport(host: 11, queue: queue, inbox: aInbox)
        let (b, bAddress) = try Self.transport(host: 12, queue: queue, inbox: bInbox)
        defer { queue.sync { a.stop(); b.stop() } }
        queue.sync {
            for n in 1...3 {
                a.open(Self.shared(UInt64(n)), to: bAddress)
                a.write(Self.shared(UInt64(n)), [UInt8(n), 0xAA])
            }
        }
        #expect(StreamTransportTests.waitUntil(queue) { Self.accepted(bInbox).count == 3 })
        let inbound = queue.sync { Self.accepted(bInbox) }
        #expect(queue.sync { bInbox.inputs.contains(.streamData(inbound[1], [2, 0xAA])) })
        queue.sync {
            b.write(inbound[1], [0xBB, 2])
            b.close(inbound[1])
        }
        #expect(StreamTransportTests.waitUntil(queue) {
            aInbox.inputs.contains(.streamData(Self.shared(2), [0xBB, 2])) && aInbox.inputs.contains(.streamClosed(Self.shared(2)))
        })
        queue.sync { a.close(Self.shared(1)) }
        #expect(StreamTransportTests.waitUntil(queue) { bInbox.inputs.contains(.streamClosed(inbound[0])) })
        queue.sync { a.open(Self.shared(4), to: bAddress) }
        #expect(StreamTransportTests.waitUntil(queue) { Self.accepted(bInbox).count == 4 })
        #expect(queue.sync { (a.linkCounters.opened, b.linkCounters.accepted, b.counters.accepted) } == (1, 1, 1))
        #expect(queue.sync { b.linkCounters.streamsCarried } == 4)
    }

    @Test("a link that breaks fails every stream on it; the next stream connects again and, when it cannot, ends streamNotConnected (nothing on it left)")
    func brokenLinkFailsItsStreams() throws {
        let queue = DispatchQueue(label: "test.links.broken")
        let (aInbox, bInbox) = (Inbox(), Inbox())
        let (a, _) = try Self.transport(host: 13, queue: queue, inbox: aInbox)
        let (b, bAddress) = try Self.transport(host: 14, queue: queue, inbox: bInbox)
        defer { queue.sync { a.stop() } }
        queue.sync { a.open(Self.shared(1), to: bAddress); a.open(Self.shared(2), to: bAddress) }
        #expect(StreamTransportTests.waitUntil(queue) { Self.accepted(bInbox).count == 2 })
        queue.sync { b.stop() }
        #expect(StreamTransportTests.waitUntil(queue) {
            aInbox.inputs.contains(.streamFailed(Self.shared(1))) && aInbox.inputs.contains(.streamFailed(Self.shared(2)))
        })
        queue.sync {
            a.open(Self.shared(3), to: bAddress)
            a.write(Self.shared(3), [1, 2, 3])
        }
        #expect(StreamTransportTests.waitUntil(queue) { aInbox.inputs.contains(.streamNotConnected(Self.shared(3))) })
        #expect(queue.sync { !aInbox.inputs.contains(.streamFailed(Self.shared(3))) })
        #expect(queue.sync { a.linkCounters.opened } == 2)
        #expect(queue.sync { a.lastConnectFailure(to: bAddress) } != nil)
    }

    /// Connects a raw socket from 127.0.75.`host` to `address` and sends the preamble and `bytes`.
    static func rawLink(from host: UInt8, to address: Address, _ bytes: Bytes) throws -> Int32 {
        let fd = try Sockets.connect(to: .ipv4(address), from: Address(127, 0, 75, host, port: 0)).fd
        StreamTransportTests.rawSend(fd, LinkFrame.preamble + bytes)
        return fd
    }

    @Test("what cannot be a link closes it, counted by reason, and fails the streams it carried")
    func hostileInput() throws {
        let queue = DispatchQueue(label: "test.links.hostile")
        let inbox = Inbox()
        let (b, bAddress) = try Self.transport(host: 15, queue: queue, inbox: inbox)
        defer { queue.sync { b.stop() } }
        let cases: [(Bytes, LinkDrop)] = [
            ([9, 0, 0, 0, 1, 0, 0, 0, 0], .unknownKind),
            (LinkFrame.control(.open, 5) + LinkFrame.control(.open, 3), .badOpen),
            (LinkFrame.data(7, [1]), .unknownStream),
            ([LinkFrame.Kind.data.rawValue, 0, 0, 0, 1, 0, 0x10, 0, 1], .oversized),
            ([LinkFrame.Kind.close.rawValue, 0, 0, 0, 1, 0, 0, 0, 1, 0], .oversized),
        ]
        var fds: [Int32] = []
        defer { fds.forEach(closeDescriptor) }
        var expected: [LinkDrop: UInt64] = [:]
        for (bytes, reason) in cases {
            fds.append(try Self.rawLink(from: 16, to: bAddress, bytes))
            expected[reason, default: 0] += 1
            let count = expected[reason]!
            #expect(StreamTransportTests.waitUntil(queue) { b.linkCounters.drops[reason] == count }, "\(reason)")
        }
        // The stream the `badOpen` link opened first (id 5) failed with its link.
        let opened = queue.sync { Self.accepted(inbox) }
        #expect(opened.count == 1)
        #expect(queue.sync { inbox.inputs.contains(.streamFailed(opened[0])) })
        #expect(StreamTransportTests.waitUntil(queue) { b.openCount == 0 }, "every hostile link is closed")
    }

    @Test("a server link refuses an open past its stream limit with a reset; the client's stream fails")
    func streamLimit() throws {
        let queue = DispatchQueue(label: "test.links.limit")
        let (aInbox, bInbox) = (Inbox(), Inbox())
        let (a, _) = try Self.transport(host: 17, queue: queue, inbox: aInbox)
        let (b, bAddress) = try Self.transport(host: 18, queue: queue, inbox: bInbox)
        defer { queue.sync { a.stop(); b.stop() } }
        // linksPerPeerMax links, each filled to streamsPerLinkMax, then one more stream.
        let total = LinkLimits.linksPerPeerMax * LinkLimits.streamsPerLinkMax + 1
        queue.sync { for n in 1...total { a.open(Self.shared(UInt64(n)), to: bAddress) } }
        #expect(StreamTransportTests.waitUntil(queue) { aInbox.inputs.contains { if case .streamFailed = $0 { true } else { false } } })
        #expect(queue.sync { b.linkCounters.streamsRefused } == 1)
        #expect(queue.sync { Self.accepted(bInbox).count } == total - 1)
        #expect(queue.sync { a.linkCounters.opened } == UInt64(LinkLimits.linksPerPeerMax))
    }

    @Test("a FIFO gives back what went in, in order, across compactions")
    func fifoOrder() {
        var fifo = FIFO<Int>()
        var expected = 0
        for n in 0..<1_000 {
            fifo.append(n)
            if n % 3 != 0 { #expect(fifo.removeFirst() == expected); expected += 1 }
        }
        while let value = fifo.removeFirst() { #expect(value == expected); expected += 1 }
        #expect(expected == 1_000 && fifo.isEmpty && fifo.first == nil)
    }

    @Test("the link decoder reads frames split at every byte")
    func splitFrames() {
        let bytes = LinkFrame.control(.open, 1) + LinkFrame.data(1, Array(0..<40)) + LinkFrame.control(.close, 1)
        for cut in 0...bytes.count {
            var decoder = LinkDecoder()
            var frames: [LinkFrame.Frame] = []
            for part in [Array(bytes[..<cut]), Array(bytes[cut...])] {
                guard case .success(let got) = decoder.feed(part) else { Issue.record("failed at \(cut)"); return }
                frames += got
            }
            #expect(frames == [.init(kind: .open, stream: 1, payload: []), .init(kind: .data, stream: 1, payload: Array(0..<40)),
                               .init(kind: .close, stream: 1, payload: [])])
        }
    }
}
