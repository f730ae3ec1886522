import Foundation
import Glibc
import MeshRuntime

/// A network namespace this test makes for itself (so its rules touch nothing outside it), with
/// `lo` up and the local routing table moved behind room for per-address blackhole rules: a rule
/// `from A to B blackhole` then cuts A off from B in both the UDP and the TCP path, on loopback.
/// Needs root and iproute2's `ip`; `delete()` removes the namespace and everything in it.
final class NetworkNamespace: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible { var description: String }

    let name: String
    let ip: String
    private var cuts: [(String, String)] = []

    /// `ip`, wherever iproute2 put it.
    static func ipCommand() -> String? {
        ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    init(prefix: String) throws {
        guard let ip = Self.ipCommand() else {
            throw Failure(description: "iproute2's ip is not installed (apt-get install -y iproute2)")
        }
        guard geteuid() == 0 else { throw Failure(description: "network namespaces need root (CI runs as root)") }
        self.ip = ip
        self.name = "\(prefix)-\(getpid())-\(UInt32.random(in: 0...0xFFFF))"
        try run(["netns", "add", name])
        do {
            try run(["netns", "exec", name, ip, "link", "set", "lo", "up"])
            try run(["netns", "exec", name, ip, "rule", "add", "pref", "200", "lookup", "local"])
            try run(["netns", "exec", name, ip, "rule", "del", "pref", "0"])
        } catch {
            delete()
            throw error
        }
    }

    /// The command prefix that runs a program inside the namespace.
    var launcher: [String] { [ip, "netns", "exec", name] }

    /// Drops everything between `a` and `b`, both ways.
    func cut(_ a: String, _ b: String) throws {
        try run(["netns", "exec", name, ip, "rule", "add", "pref", "100", "from", a, "to", b, "blackhole"])
        try run(["netns", "exec", name, ip, "rule", "add", "pref", "100", "from", b, "to", a, "blackhole"])
        cuts.append((a, b))
    }

    /// Removes every cut.
    func heal() throws {
        for (a, b) in cuts {
            try run(["netns", "exec", name, ip, "rule", "del", "pref", "100", "from", a, "to", b, "blackhole"])
            try run(["netns", "exec", name, ip, "rule", "del", "pref", "100", "from", b, "to", a, "blackhole"])
        }
        cuts.removeAll()
    }

    func delete() {
        try? run(["netns", "del", name])
    }

    private func run(_ arguments: [String]) throws {
        let output = NSTemporaryDirectory() + "netns-\(UUID().uuidString).out"
        defer { unlink(output) }
        let process = try ChildProcess.spawn(ip, arguments, output: .file(output))
        let status = process.waitForExit(timeout: 10)
        guard status == 0 else {
            if status == nil { process.kill() }
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            throw Failure(description: "ip \(arguments.joined(separator: " ")) failed: \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }
}
