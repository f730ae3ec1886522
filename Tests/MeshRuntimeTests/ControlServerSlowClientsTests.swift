import MeshTestSupport
import Dispatch
import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import Testing

/// Slow clients against the control server in this process (issue 7); the real-process version,
/// with a byte-at-a-time attacker, is `ControlAttackTests`.
@Suite("Control server: slow clients", .timeLimit(.minutes(5)))
struct ControlServerSlowClientsTests {
    @Test("40 connections that never finish their request do not keep a client out; each ends with 503 or 408")
    func unfinishedRequests() throws {
        let queue = DispatchQueue(label: "test.control.slow")
        var settings = ControlServer.Settings()
        settings.requestTimeout = .milliseconds(500)
        let server = try ControlServer(endpoint: .ipv4(Address(127, 0, 33, 2, port: 0)), token: nil,
                                       settings: settings, queue: queue) { _ in .json(.object([])) }
        queue.sync { server.start() }
        defer { queue.sync { server.stop() } }
        let port = Int(server.endpoint.port)
        let slow = (0..<40).compactMap { _ in RawHTTP.connect("127.0.33.2", port) }
        defer { slow.forEach { close($0) } }
        #expect(slow.count == 40)
        for fd in slow { #expect(RawHTTP.send(fd, Array("GET /v1/status HTTP/1.1\r\nHost: 127.0.33.2".utf8))) }

        let client = ControlClient(endpoint: server.endpoint, timeout: .seconds(1))
        for call in 0..<5 {
            let start = Date()
            #expect((try? client.exchange("GET", "/v1/status").status) == 200, "call \(call)")
            #expect(Date().timeIntervalSince(start) < 1, "call \(call)")
        }
        var answers: [Int: Int] = [:]
        for fd in slow { answers[RawHTTP.status(of: RawHTTP.receiveAll(fd)) ?? 0, default: 0] += 1 }
        #expect(Set(answers.keys).isSubset(of: [408, 503]), "\(answers)")
        #expect(answers.values.reduce(0, +) == 40)
        let rejections = queue.sync { server.rejections }
        #expect(rejections[.evicted, default: 0] + rejections[.requestTimeout, default: 0] == 40, "\(rejections)")
        #expect(rejections[.evicted, default: 0] >= 32, "only 8 from one source may wait at once: \(rejections)")
        #expect(queue.sync { server.openCount } == 0)
    }
}
