import MeshCore
@testable import MeshRuntime
import Testing

/// A data stream's message written with a prefix in place (how a reply's kind byte and a file's
/// bytes go out without being joined): the peer reads exactly `prefix + payload`, across frame
/// boundaries, fed in pieces of any size; the frames are the ones `message` writes for the joined
/// bytes; a reused output buffer holds only the newest message.
@Suite struct DataStreamFramingTests {
    static func pair() throws -> (DataStream, DataStream) {
        let key = try #require(MeshKey(bytes: Bytes(repeating: 7, count: 32)))
        let nonceA = Bytes(repeating: 1, count: 16), nonceB = Bytes(repeating: 2, count: 16)
        var client = DataStream(role: .client, keyring: Keyring(keys: [key]), labelHash: 1, sender: "exec", nonce: nonceA)
        var server = DataStream(role: .server, keyring: Keyring(keys: [key]), labelHash: 1, sender: "read", nonce: nonceB)
        _ = client.feed(server.hello)
        _ = server.feed(client.hello)
        return (client, server)
    }

    @Test("prefix and payload spanning three frames arrive joined, fed in odd pieces, as message() frames them")
    func prefixAcrossFrames() throws {
        var (sender, receiver) = try Self.pair()
        var (twin, _) = try Self.pair()
        let payload = (0..<(2 * StreamLimits.frameBytesMax + 12_345)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        let prefix: Bytes = [0x71, 0x00, 0xFF]
        var out: Bytes = [9, 9, 9]
        out.removeAll(keepingCapacity: true)
        #expect(payload.withUnsafeBytes { sender.append(prefix: prefix, $0, to: &out) })
        #expect(out == twin.message(prefix + payload), "the same frames as the joined message")
        var events: [DataStream.Event] = []
        var offset = 0
        for (turn, size) in [1, 5, 70_000, 1 << 20, 3].cycled(until: { offset >= out.count }).enumerated() {
            let end = min(out.count, offset + size)
            events += try receiver.feed(Array(out[offset..<end])).get()
            offset = end
            #expect(turn < 1_000)
        }
        #expect(events == [.message(prefix + payload, sender: "exec")])
    }

    @Test("an empty payload is one frame; a reused buffer holds only the newest message")
    func emptyAndReused() throws {
        var (sender, receiver) = try Self.pair()
        var out = Bytes()
        for payload in [Bytes(repeating: 5, count: 100_000), []] {
            out.removeAll(keepingCapacity: true)
            #expect(payload.withUnsafeBytes { sender.append(prefix: [0x72], $0, to: &out) })
            #expect(try receiver.feed(out).get() == [.message([0x72] + payload, sender: "exec")])
        }
        var unready = DataStream(role: .client, keyring: nil, labelHash: 1, sender: "a", nonce: Bytes(repeating: 3, count: 16))
        var untouched: Bytes = []
        #expect(!Bytes([1]).withUnsafeBytes { unready.append(prefix: [], $0, to: &untouched) } && untouched.isEmpty)
    }
}

extension Array {
    /// The elements over and over, until `done` says to stop (checked before each element).
    fileprivate func cycled(until done: @escaping () -> Bool) -> AnySequence<Element> {
        var index = 0
        return AnySequence(AnyIterator {
            guard !isEmpty, !done() else { return nil }
            defer { index = (index + 1) % count }
            return self[index]
        })
    }
}
