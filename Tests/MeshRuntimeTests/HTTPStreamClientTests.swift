import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import Testing

/// `HTTPStreamClient` (what `mesh logs -f`, `mesh artifacts` and uploads read answers with)
/// against a server on a real loopback socket (127.0.88.x) that writes a hand-made answer: bodies
/// larger than the client's read buffer, chunked or sized, come out byte for byte; a broken
/// chunked body is refused with an error, never a crash.
@Suite("HTTP stream client: chunked and sized bodies over real sockets", .timeLimit(.minutes(5)))
struct HTTPStreamClientTests {
    /// Answers one connection on 127.0.88.1 with `answer` (written in pieces of `piece` bytes),
    /// then closes; returns the endpoint.
    static func serveOnce(_ answer: Bytes, piece: Int = 64 * 1024) throws -> SocketEndpoint {
        .ipv4(try OneConnectionServer.start(on: Address(127, 0, 88, 1, port: 0)) { fd in
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
            var request = [UInt8](repeating: 0, count: 4096)
            _ = recv(fd, &request, request.count, 0)
            var offset = 0
            while offset < answer.count {
                let count = min(piece, answer.count - offset)
                let sent = answer.withUnsafeBytes { send(fd, $0.baseAddress! + offset, count, Int32(MSG_NOSIGNAL)) }
                guard sent > 0 else { return }
                offset += sent
            }
        })
    }

    /// Reads the whole body through a client; the pieces joined.
    static func body(of answer: Bytes, piece: Int = 64 * 1024) throws -> (Bytes, HTTPStreamClient) {
        let client = try HTTPStreamClient(endpoint: try serveOnce(answer, piece: piece), token: nil, method: "GET", path: "/x",
                                          idleTimeout: .seconds(10))
        var all = Bytes()
        while let piece = try client.read() { all += piece }
        return (all, client)
    }

    /// `count` bytes of a fixed pseudo-random pattern (every byte value, CR and LF included).
    static func pattern(_ count: Int) -> Bytes {
        var state: UInt32 = 2_463_534_242
        return (0..<count).map { _ in
            state ^= state << 13; state ^= state >> 17; state ^= state << 5
            return UInt8(truncatingIfNeeded: state)
        }
    }

    /// `data` as a chunked body, cut into chunks of the given sizes in turn (some with extensions).
    static func chunked(_ data: Bytes, sizes: [Int]) -> Bytes {
        var out = Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        var offset = 0, turn = 0
        while offset < data.count {
            let size = min(sizes[turn % sizes.count], data.count - offset)
            out += Array((String(size, radix: 16) + (turn % 3 == 0 ? ";ext=1" : "") + "\r\n").utf8)
            out += data[offset..<(offset + size)]
            out += [13, 10]
            offset += size
            turn += 1
        }
        return out + Array("0\r\n\r\n".utf8)
    }

    @Test("a chunked body of 3 MiB in chunks of 1 B to 700 KiB, sent in odd pieces, comes out byte for byte")
    func chunkedBody() throws {
        let data = Self.pattern(3 << 20)
        for piece in [1_000, 65_536, 300_001] {
            let (body, client) = try Self.body(of: Self.chunked(data, sizes: [1, 700_000, 13, 262_144, 2, 99_999]), piece: piece)
            #expect(body == data, "sent in pieces of \(piece)")
            #expect(client.isComplete)
        }
    }

    @Test("a Content-Length body larger than the read buffer comes out whole; bytes past the length are not part of it")
    func sizedBody() throws {
        let data = Self.pattern(1 << 20)
        let head = Array("HTTP/1.1 200 OK\r\nContent-Length: \(data.count)\r\n\r\n".utf8)
        let (body, client) = try Self.body(of: head + data + Array("extra".utf8))
        #expect(body == data)
        #expect(client.isComplete)
    }

    @Test("a bad chunk-size line, an endless one and a body cut short are errors, never a crash")
    func brokenChunks() throws {
        let head = Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        for line in [";\r\n", "zz\r\n", "-5\r\n"] {
            #expect(throws: ControlClient.Failure.self, "line \(line.debugDescription)") { _ = try Self.body(of: head + Array(line.utf8)) }
        }
        #expect(throws: ControlClient.Failure.self) { _ = try Self.body(of: head + Bytes(repeating: 0x61, count: 4096)) }
        let cut = head + Array("10\r\n0123".utf8)
        #expect(throws: ControlClient.Failure.self) { _ = try Self.body(of: cut) }
    }
}
