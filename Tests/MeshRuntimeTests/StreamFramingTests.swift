import MeshCore
@testable import MeshRuntime
import Testing

@Suite("Stream framing and authentication")
struct StreamFramingTests {
    static func key(_ byte: UInt8) -> MeshKey { MeshKey(bytes: Bytes(repeating: byte, count: 32))! }
    static let keyring = Keyring(keys: [key(1)])
    static let serverNonce = Bytes(repeating: 0xA1, count: 16)
    static let clientNonce = Bytes(repeating: 0xC1, count: 16)
    static let payload = Bytes("push-pull state".utf8)

    let framing = StreamFraming(keyring: StreamFramingTests.keyring, label: "prod")

    @Test("a request and a reply round-trip under the same nonces")
    func roundTrip() throws {
        let hello = framing.hello(serverNonce: Self.serverNonce)
        #expect(framing.parseHello(hello) == .complete(Self.serverNonce, consumed: StreamFraming.helloBytes))
        let request = framing.request(Self.payload, serverNonce: Self.serverNonce, clientNonce: Self.clientNonce)
        #expect(framing.parseRequest(request, serverNonce: Self.serverNonce)
                == .complete(.init(payload: Self.payload, clientNonce: Self.clientNonce), consumed: request.count))
        let reply = framing.reply(Self.payload, serverNonce: Self.serverNonce, clientNonce: Self.clientNonce)
        #expect(framing.parseReply(reply, serverNonce: Self.serverNonce, clientNonce: Self.clientNonce)
                == .complete(Self.payload, consumed: reply.count))
    }

    @Test("every prefix of a frame asks for more bytes")
    func partialFrames() {
        let request = framing.request(Self.payload, serverNonce: Self.serverNonce, clientNonce: Self.clientNonce)
        for length in 0..<request.count {
            #expect(framing.parseRequest(Array(request.prefix(length)), serverNonce: Self.serverNonce) == .needMore)
        }
    }

    @Test("a tampered byte anywhere in the tagged part is rejected as badTag")
    func tampered() {
        let request = framing.request(Self.payload, serverNonce: Self.serverNonce, clientNonce: Self.clientNonce)
        // Past the 6 header bytes (whose damage is caught earlier, as version/label errors). A
        // length made larger waits for bytes that never come (or is oversized): never accepted either.
        let lengthBytes = (StreamFraming.headerBytes + StreamFraming.nonceBytes)..<(StreamFraming.headerBytes + StreamFraming.nonceBytes + 3)
        for index in StreamFraming.headerBytes..<request.count {
            var copy = request
            copy[index] ^= 0x01
            let result = framing.parseRequest(copy, serverNonce: Self.serverNonce)
            if lengthBytes.contains(index) {
                #expect(result == .needMore || result == .dropped(.oversized), "byte \(index)")
            } else {
                #expect(result == .dropped(.badTag), "byte \(index)")
            }
        }
    }

    @Test("a recorded request replayed on a new connection (new server nonce) is rejected")
    func replayedRequest() {
        let recorded = framing.request(Self.payload, serverNonce: Self.serverNonce, clientNonce: Self.clientNonce)
        let fresh = Bytes(repeating: 0xA2, count: 16)
        #expect(framing.parseRequest(recorded, serverNonce: fresh) == .dropped(.badTag))
    }

    @Test("a recorded reply played back to a client with a new nonce is rejected")
    func replayedReply() {
        let recorded = framing.reply(Self.payload, serverNonce: Self.serverNonce, clientNonce: Self.clientNonce)
        let fresh = Bytes(repeating: 0xC2, count: 16)
        #expect(framing.parseReply(recorded, serverNonce: Self.serverNonce, clientNonce: fresh) == .dropped(.badTag))
    }

    @Test("a reply cannot pass as a request: the direction is tagged")
    func reflectedReply() {
        let reply = framing.reply(Self.payload, serverNonce: Self.serverNonce, clientNonce: Self.clientNonce)
        let header = Bytes(framing.hello(serverNonce: Self.serverNonce).prefix(StreamFraming.headerBytes))
        #expect(framing.parseRequest(header + Self.clientNonce + reply, serverNonce: Self.serverNonce) == .dropped(.badTag))
    }

    @Test("a frame from another key is badTag; an older key still in the ring is accepted")
    func keys() {
        let other = StreamFraming(keyring: Keyring(keys: [Self.key(2)]), label: "prod")
        let request = other.request(Self.payload, serverNonce: Self.serverNonce, clientNonce: Self.clientNonce)
        #expect(framing.parseRequest(request, serverNonce: Self.serverNonce) == .dropped(.badTag))
        let rotated = StreamFraming(keyring: Keyring(keys: [Self.key(3), Self.key(2)]), label: "prod")
        if case .complete = rotated.parseRequest(request, serverNonce: Self.serverNonce) {} else {
            Issue.record("a key second in the ring must still verify")
        }
    }

    @Test("label and authentication mismatches are told apart")
    func mismatches() {
        let request = framing.request(Self.payload, serverNonce: Self.serverNonce, clientNonce: Self.clientNonce)
        let otherLabel = StreamFraming(keyring: Self.keyring, label: "staging")
        #expect(otherLabel.parseRequest(request, serverNonce: Self.serverNonce) == .dropped(.wrongLabel))
        let open = StreamFraming(keyring: nil, label: "prod")
        #expect(open.parseRequest(request, serverNonce: Self.serverNonce) == .dropped(.unexpectedTag))
        let untagged = open.request(Self.payload, serverNonce: Self.serverNonce, clientNonce: Self.clientNonce)
        #expect(framing.parseRequest(untagged, serverNonce: Self.serverNonce) == .dropped(.unauthenticated))
        var newer = request
        newer[0] = 99
        #expect(framing.parseRequest(newer, serverNonce: Self.serverNonce) == .dropped(.unsupportedVersion))
    }

    @Test("a declared length over the limit is refused before the payload arrives")
    func oversized() {
        let small = StreamFraming(keyring: nil, label: "", frameBytesMax: 100)
        let header = Bytes(small.hello(serverNonce: Self.serverNonce).prefix(StreamFraming.headerBytes))
        let at = header + Self.clientNonce + [0, 0, 0, 100]
        let over = header + Self.clientNonce + [0, 0, 0, 101]
        #expect(small.parseRequest(at, serverNonce: Self.serverNonce) == .needMore)
        #expect(small.parseRequest(over, serverNonce: Self.serverNonce) == .dropped(.oversized))
        #expect(small.parseReply([0xFF, 0xFF, 0xFF, 0xFF], serverNonce: Self.serverNonce, clientNonce: Self.clientNonce) == .dropped(.oversized))
    }
}
