import Foundation
import Glibc
import MeshRuntime

/// Runs the Serf reference scripts (shared/bench/serf) for the same measurement in the same run.
struct SerfReference {
    let scripts: String
    let state: String
    let nodes: Int
    let profile: String

    /// `serf` on PATH, or nil.
    static func serfBinary() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/serf" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The scripts directory: `given`, else `shared/bench/serf` beside the checkout this binary or
    /// the working directory is in.
    static func findScripts(_ given: String?) -> String? {
        if let given { return given }
        var starts = [FileManager.default.currentDirectoryPath, (ChildProcess.currentExecutable() as NSString).deletingLastPathComponent]
        starts = starts.filter { !$0.isEmpty }
        for start in starts {
            var directory = start
            for _ in 0..<8 {
                for candidate in ["\(directory)/shared/bench/serf", "\(directory)/../shared/bench/serf"]
                    where FileManager.default.fileExists(atPath: candidate + "/serf-detect.sh") {
                    return (candidate as NSString).standardizingPath
                }
                directory = (directory as NSString).deletingLastPathComponent
            }
        }
        return nil
    }

    /// Runs one script; its standard output and whether it exited 0.
    func script(_ name: String, _ arguments: [String], timeout: Double = 600) -> (ok: Bool, output: String) {
        let output = "\(state)/\(name).out"
        unlink(output)
        var environment = ProcessInfo.processInfo.environment
        environment["SERF_STATE"] = state
        guard let process = try? ChildProcess.spawn("/bin/bash", ["\(scripts)/\(name)"] + arguments,
                                                    environment: environment, output: .file(output)) else {
            return (false, "cannot run \(name)")
        }
        let status = process.waitForExit(timeout: timeout)
        if status == nil { process.kill() }
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        return (status == 0, text)
    }

    /// `key=value` from a script's output.
    static func value(_ key: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") {
            for part in line.split(separator: " ") where part.hasPrefix(key + "=") {
                return Double(part.dropFirst(key.count + 1))
            }
        }
        return nil
    }

    /// Starts the Serf cluster, runs `runs` kill-9 detections (each restarting the victim), then
    /// the idle window, then stops it. Prints each step's result as it comes.
    /// The figures are the mesh's own kind, read from what the scripts print (NaN where one is missing).
    func run(runs: Int, idleSeconds: Int, log: (String) -> Void) -> Bench.Figures? {
        try? FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        defer { _ = script("serf-stop.sh", [], timeout: 60) }
        let cluster = script("serf-cluster.sh", [String(nodes), profile], timeout: 300)
        guard cluster.ok else {
            log("serf: cluster did not start: \(cluster.output.split(separator: "\n").last ?? "")")
            return nil
        }
        var figures = Bench.Figures()
        for run in 1...runs {
            // The script fails when an agent never saw the death within its deadline (SERF_TIMEOUT).
            let detect = script("serf-detect.sh", ["-r"], timeout: 300)
            guard detect.ok, let median = Self.value("detect_s", in: detect.output),
                  let max = Self.value("max_s", in: detect.output) else {
                log("serf: detection run \(run) failed: \(detect.output.split(separator: "\n").last ?? "")")
                return nil
            }
            // The script's max_s is its slowest observer: the time until every observer saw the death.
            let summary = DetectionSummary(median: median, all: max, missed: 0)
            figures.add(summary)
            log("serf run=\(run) \(summary.line)")
        }
        let idle = script("serf-idle.sh", [String(idleSeconds)], timeout: Double(idleSeconds) + 120)
        figures.idle = ProcessMeter.IdleCost(bytesPerNodePerSecond: Self.value("bytes_per_node_per_s", in: idle.output) ?? .nan,
                                             residentKilobytes: Self.value("rss_kb", in: idle.output) ?? .nan,
                                             cpuPercent: Self.value("cpu_pct", in: idle.output) ?? .nan)
        return figures
    }
}
