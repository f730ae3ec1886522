import Foundation
import Glibc
import MeshCore
import MeshRuntime

/// `mesh bench transfer` (issue 10's benchmark): two authenticated nodes on loopback with their
/// data on this disk; one agent writes `megabytes` MiB of output and an artifact of the same size.
/// Measured through the node that did NOT run it, so the bytes cross a data stream:
///
/// - logs: `GET /v1/tasks/{id}/logs?follow=1` from the first byte to the end of the attempt,
///   bytes per second (what `mesh logs -f` reads);
/// - artifacts: `mesh artifacts`' download (`GET /v1/tasks/{id}/artifacts/{name}`, written to a
///   file and SHA-256-checked against the history), bytes per second, and the transfer alone.
///
/// Beside each wall-clock rate, a CPU-bound rate: the bytes over the CPU time of the busiest of
/// the three processes in the pipeline (executor node, reader node, this client), which is what the
/// rate would be on a machine with a free core for each (the wall-clock figure on a shared,
/// overloaded machine measures mostly the wait for a CPU).
struct TransferBench {
    let megabytes: Int
    let parent: String
    let firstIP: UInt32
    let port: UInt16

    var bytes: Int { megabytes << 20 }

    /// The one profile: the artifact first, then the log output as fast as `head` writes it.
    var config: String {
        let script = "cat > /dev/null; head -c \(bytes) /dev/urandom > artifacts/blob.bin; "
            + "yes 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde | head -c \(bytes)"
        return #"{"profiles": [{"name": "writer", "command": ["/bin/sh", "-c", "\#(script)"], "slots": 1}]}"#
    }

    struct Figures {
        var logBytes = 0
        var logSeconds = 0.0
        var artifactBytes = 0
        var artifactSeconds = 0.0
        var transferSeconds = 0.0
        var executor = ""
        var reader = ""
        var logCPUSeconds = 0.0
        var artifactCPUSeconds = 0.0
        var transferCPUSeconds = 0.0
    }

    /// CPU seconds of the executor node, the reader node and this process, now.
    struct CPU {
        var seconds: [Double]
        init(_ pids: [pid_t]) {
            seconds = pids.map { Double(ProcessMeter.cpuTicks($0) ?? 0) / ProcessMeter.ticksPerSecond }
            var usage = rusage()
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
            seconds.append(Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6)
        }
        /// The largest increase of one process since `earlier`.
        func busiest(since earlier: CPU) -> Double { zip(seconds, earlier.seconds).map { $0 - $1 }.max() ?? 0 }
    }

    func run(json: Bool) throws -> Int32 {
        let cluster = try LocalCluster(names: ["xfer1", "xfer2"], firstIP: firstIP, port: port, preset: "lan",
                                       authenticated: true, purpose: "bench-transfer", parent: parent)
        let interrupt = LocalCluster.onInterrupt { cluster.abort() }
        defer { cluster.stop(grace: 2); _ = interrupt }
        try Files.writeAtomically(cluster.directory + "/profiles.json", Array(config.utf8))
        cluster.extraArguments = ["--config", cluster.directory + "/profiles.json"]
        for index in 0..<2 { try cluster.start(index, seed: index == 0 ? nil : 0) }
        guard cluster.waitUntil(seconds: 30, {
            cluster.status(0).map { $0.members.count == 2 && $0.members.allSatisfy { $0.state == "alive" && $0.capacity != nil } } ?? false
        }) else {
            printError("the two nodes did not join within 30 s")
            return 1
        }
        let client = ControlClient(endpoint: cluster.httpEndpoint(0), timeout: .seconds(15))
        let answer = try client.submitTask(TaskSpec(profile: "writer", prompt: "bench"))
        guard answer.isSuccess, let id = answer.json["id"]?.string.flatMap(TaskID.init) else {
            printError("the submission was refused: \(answer.errorMessage)")
            return 1
        }
        var figures = Figures()
        guard let executor = waitForExecutor(id, client: client) else {
            printError("task \(id) did not start within 30 s")
            return 1
        }
        figures.executor = executor
        let readerIndex = cluster.names.firstIndex(of: executor) == 0 ? 1 : 0
        figures.reader = cluster.names[readerIndex]
        let reader = ControlClient(endpoint: cluster.httpEndpoint(readerIndex), timeout: .seconds(15))
        let pids = [1 - readerIndex, readerIndex].compactMap { cluster.process($0)?.pid }
        var before = CPU(pids)
        try measureLogs(id, reader: reader, into: &figures)
        figures.logCPUSeconds = CPU(pids).busiest(since: before)
        before = CPU(pids)
        try measureArtifact(id, reader: reader, directory: cluster.directory, into: &figures)
        figures.artifactCPUSeconds = CPU(pids).busiest(since: before)
        before = CPU(pids)
        try measureRawArtifact(id, reader: reader, into: &figures)
        figures.transferCPUSeconds = CPU(pids).busiest(since: before)
        if json { print(jsonFigures(figures).serialized(pretty: true)) } else { printText(figures) }
        return 0
    }

    private func waitForExecutor(_ id: TaskID, client: ControlClient) -> String? {
        let deadline = SystemClock.monotonicNanoseconds() + .seconds(30)
        while SystemClock.monotonicNanoseconds() < deadline {
            if let record = try? client.task(id), let node = record.json["history"]?.array?.last(where: { $0["state"]?.string == "running" })?["node"]?.string {
                return node
            }
            usleep(50_000)
        }
        return nil
    }

    /// Follows the log through the reader node; the clock starts at the first byte.
    private func measureLogs(_ id: TaskID, reader: ControlClient, into figures: inout Figures) throws {
        let stream = try HTTPStreamClient(endpoint: reader.endpoint, token: nil, method: "GET",
                                          path: "/v1/tasks/\(id)/logs?follow=1", idleTimeout: .seconds(120))
        guard stream.status == 200 else { throw Failure("logs answered \(stream.status)") }
        var start: Int64?
        while let piece = try stream.read() {
            if start == nil { start = SystemClock.monotonicNanoseconds() }
            figures.logBytes += piece.count
        }
        figures.logSeconds = Double(SystemClock.monotonicNanoseconds() - (start ?? 0)) / 1e9
    }

    /// Downloads the artifact as `mesh artifacts` does (file + hash check), through the reader node.
    private func measureArtifact(_ id: TaskID, reader: ControlClient, directory: String, into figures: inout Figures) throws {
        let listing = try ArtifactDownload.listing(id, from: reader)
        guard let file = listing.first(where: { $0.name == "blob.bin" }) else { throw Failure("no artifact blob.bin listed") }
        let out = directory + "/download"
        try Files.makeDirectory(out)
        let start = SystemClock.monotonicNanoseconds()
        _ = try ArtifactDownload(id: id, file: file, client: reader, directory: out).run()
        figures.artifactSeconds = Double(SystemClock.monotonicNanoseconds() - start) / 1e9
        figures.artifactBytes = Int(file.size)
    }

    /// The same artifact again, read and dropped: the transfer alone.
    private func measureRawArtifact(_ id: TaskID, reader: ControlClient, into figures: inout Figures) throws {
        let raw = try HTTPStreamClient(endpoint: reader.endpoint, token: nil, method: "GET", path: "/v1/tasks/\(id)/artifacts/blob.bin")
        let rawStart = SystemClock.monotonicNanoseconds()
        while try raw.read() != nil {}
        figures.transferSeconds = Double(SystemClock.monotonicNanoseconds() - rawStart) / 1e9
    }

    private func rate(_ bytes: Int, _ seconds: Double) -> Double { seconds > 0 ? Double(bytes) / 1e6 / seconds : 0 }

    private func printText(_ f: Figures) {
        print("transfer through \(f.reader) (the agent ran on \(f.executor)), \(megabytes) MiB each:")
        print(String(format: "  logs -f:   %.1f MB/s wall (%d bytes in %.3f s); %.1f MB/s CPU-bound (goal >= 50)",
                     rate(f.logBytes, f.logSeconds), f.logBytes, f.logSeconds, rate(f.logBytes, f.logCPUSeconds)))
        print(String(format: "  artifact:  %.1f MB/s wall written and SHA-256-checked (%.3f s), %.1f MB/s CPU-bound; transfer alone %.1f MB/s wall, %.1f MB/s CPU-bound (goal >= 100)",
                     rate(f.artifactBytes, f.artifactSeconds), f.artifactSeconds, rate(f.artifactBytes, f.artifactCPUSeconds),
                     rate(f.artifactBytes, f.transferSeconds), rate(f.artifactBytes, f.transferCPUSeconds)))
        print("  load average: " + TaskBench.loadAverage())
    }

    private func jsonFigures(_ f: Figures) -> JSONValue {
        var members: [(String, JSONValue)] = [("megabytes", .integer(Int64(megabytes)))]
        members.append(("executor", .string(f.executor)))
        members.append(("reader", .string(f.reader)))
        members.append(("logBytes", .integer(Int64(f.logBytes))))
        members.append(("logMBps", .number(rate(f.logBytes, f.logSeconds))))
        members.append(("artifactBytes", .integer(Int64(f.artifactBytes))))
        members.append(("artifactCheckedMBps", .number(rate(f.artifactBytes, f.artifactSeconds))))
        members.append(("artifactTransferMBps", .number(rate(f.artifactBytes, f.transferSeconds))))
        members.append(("logCPUBoundMBps", .number(rate(f.logBytes, f.logCPUSeconds))))
        members.append(("artifactCheckedCPUBoundMBps", .number(rate(f.artifactBytes, f.artifactCPUSeconds))))
        members.append(("artifactTransferCPUBoundMBps", .number(rate(f.artifactBytes, f.transferCPUSeconds))))
        members.append(("loadAverage", .string(TaskBench.loadAverage())))
        return .object(members)
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}

extension MeshCommandLine {
    static func runTransferBench(_ arguments: ParsedArguments) throws -> Int32 {
        let megabytes = try arguments.integer("megabytes", default: 256, in: 1...4_096)
        let firstText = arguments.value("first-ip") ?? "127.0.0.141"
        guard let first = Address.parseIPv4(firstText), first >> 24 == 127, Int(first & 0xFF) + 2 <= 255 else {
            throw UsageError("--first-ip must be a loopback address with room for 2 nodes after it (got '\(firstText)')")
        }
        let port = try arguments.integer("port", default: 7946, in: 1...65534)
        let parent = arguments.value("dir") ?? FileManager.default.currentDirectoryPath
        guard Files.exists(parent) else { throw UsageError("--dir \(parent) does not exist") }
        return try TransferBench(megabytes: megabytes, parent: parent, firstIP: first, port: UInt16(port)).run(json: arguments.has("json"))
    }
}
