import MeshTestSupport
import Foundation
import Glibc
import MeshRuntime
import Testing

/// Attacks on a real node's control API (issue 7): what a web page could send it, and a slowloris.
/// The node survives, keeps answering within 1 s, and counts what it refused.
@Suite("Real nodes: attacks on the control API", .timeLimit(.minutes(5)))
struct ControlAttackTests {
    /// A POST of `/v1/leave` with exactly these header lines.
    static func leave(_ headers: [String]) -> String {
        "POST /v1/leave HTTP/1.1\r\n" + headers.map { $0 + "\r\n" }.joined() + "Content-Length: 2\r\n\r\n{}"
    }

    @Test("a browser-style POST /v1/leave is refused with 403, so is each single bad header, and the node keeps running")
    func browserStylePost() throws {
        let cluster = try TestCluster(subnet: 71)
        defer { cluster.shutdown() }
        try cluster.start("target", index: 1)
        cluster.waitUntil("the node answers", timeout: 10) { cluster.status("target") != nil }
        let ip = cluster.ip(1)
        let port = cluster.port + 1
        let own = "Host: \(ip):\(port)"
        let json = "Content-Type: application/json"

        let browser = Self.leave(["Host: evil.example", "Origin: http://evil.example", "Content-Type: text/plain"])
        let answer = RawHTTP.exchange(ip, port, browser)
        #expect(answer.status == 403, "\(answer.response)")
        let variants: [([String], Int)] = [
            (["Host: evil.example:\(port)", json], 403),
            ([own, "Origin: http://evil.example", json], 403),
            ([own, "Content-Type: text/plain"], 415),
            ([own], 415),
            ([json], 400),
        ]
        for (headers, status) in variants {
            let refused = RawHTTP.exchange(ip, port, Self.leave(headers))
            #expect(refused.status == status, "\(headers): \(refused.response)")
        }
        let start = Date()
        let health = try #require(cluster.health("target"), "the node still answers")
        #expect(Date().timeIntervalSince(start) < 1)
        #expect(!health.isLeaving)
        #expect(cluster.process("target")?.isRunning == true, "still running")
        #expect(health.counters["controlRequestsRejected"] == 6)
        #expect(health.counters["controlRejectedBadHost"] == 2)
        #expect(health.counters["controlRejectedBadOrigin"] == 1)
        #expect(health.counters["controlRejectedBadContentType"] == 2)
        #expect(health.counters["controlRejectedMissingHost"] == 1)

        // The same POST with every header right is obeyed: the refusals above were the headers.
        let obeyed = RawHTTP.exchange(ip, port, Self.leave([own, "Origin: http://\(ip):\(port)", json]))
        #expect(obeyed.status == 202, "\(obeyed.response)")
        #expect(cluster.process("target")?.waitForExit(timeout: 10) == 0)
    }

    @Test("40 connections sending a byte at a time do not keep mesh status from answering within 1 s")
    func slowClients() throws {
        let cluster = try TestCluster(subnet: 73)
        defer { cluster.shutdown() }
        try cluster.start("target", index: 1)
        cluster.waitUntil("the node answers", timeout: 10) { cluster.status("target") != nil }
        let attack = SlowClients(host: cluster.ip(1), port: cluster.port + 1, count: 40, interval: 0.05)
        attack.start()
        defer { attack.stop() }
        cluster.waitUntil("the attacker holds 40 connections", timeout: 10, interval: 0.01) { attack.connectionsMade >= 40 }

        let client = ControlClient(endpoint: SocketEndpoint(parsing: cluster.httpAddress(1))!, timeout: .seconds(1))
        let attackStart = Date()
        var calls = 0
        // Long enough that the first slow connections pass their request deadline.
        while Date().timeIntervalSince(attackStart) < 3 {
            let start = Date()
            var failure = ""
            let report: StatusReport?
            do { report = try client.status() } catch { report = nil; failure = "\(error)" }
            let seconds = Date().timeIntervalSince(start)
            #expect(report?.selfName == "target", "call \(calls) failed after \(seconds) s: \(failure)")
            #expect(seconds < 1, "call \(calls) took \(seconds) s")
            calls += 1
            usleep(100_000)   // the pace of an operator's polling, not a synchronization
        }
        #expect(calls >= 10)
        #expect(cluster.runInLauncher(["status", "--http", cluster.httpAddress(1)], timeout: 5) != nil, "mesh status succeeds")
        let health = try #require(try? client.health())
        #expect((health.counters["controlRequestsRejected"] ?? 0) > 0)
        let evicted = health.counters["controlRejectedEvicted"] ?? 0
        let late = health.counters["controlRejectedRequestTimeout"] ?? 0
        #expect(evicted + late > 0, "\(health.counters)")
        #expect(attack.closedByServer > 0, "the server cut slow connections off")
    }
}
