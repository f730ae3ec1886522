import Foundation
import Glibc
import MeshCore
import MeshRuntime

/// `mesh bench transfer` (issue 10's benchmark): two authenticated nodes on loopback with their
/// data on this disk and two tasks: one agent writes `megabytes` MiB of output, another an artifact
/// of the same size. Each is measured through the node that did NOT run it, so the bytes cross a
/// data stream:
///
/// - logs: the real `mesh logs ID -f` (this executable, a child process) started as soon as the
///   attempt runs, its standard output read from a pipe; bytes from its first to its last, while
///   the agent writes (TransferBench+Logs.swift). The per-task log cap is raised above the output
///   so every byte is logged and read;
/// - artifacts: `mesh artifacts`' download (`GET /v1/tasks/{id}/artifacts/{name}`, written to a
///   file and SHA-256-checked against the history), bytes per second, and the transfer alone.
///
/// Beside each wall-clock rate, a CPU-bound rate: the bytes over the CPU time of the busiest of
/// the processes in the pipeline (executor node, reader node, the client), which is what the
/// rate would be on a machine with a free core for each (the wall-clock figure on a shared,
/// overloaded machine measures mostly the wait for a CPU).
struct TransferBench {
    let megabytes: Int
    let parent: String
    let firstIP: UInt32
    let port: UInt16

    var bytes: Int { megabytes << 20 }

    /// Room above the output in the bench's per-task log cap (the cap's note, should it be hit).
    static let logCapHeadroom = 1 << 20
    /// How long the artifact's agent may take to write and hash its file.
    static let artifactTaskSeconds = 600.0

    /// Two profiles: `writer` prints `bytes` of output as fast as `head` writes it; `artifact`
    /// writes `artifacts/blob.bin`. The log cap is raised so the whole output is kept.
    var config: String {
        let artifact = "cat > /dev/null; head -c \(bytes) /dev/urandom > artifacts/blob.bin"
        let output = "cat > /dev/null; yes 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde | head -c \(bytes)"
        return #"{"profiles": [{"name": "artifact", "command": ["/bin/sh", "-c", "\#(artifact)"], "slots": 1}, "#
            + #"{"name": "writer", "command": ["/bin/sh", "-c", "\#(output)"], "slots": 1}], "#
            + #""workspaces": {"outputBytesMax": \#(bytes + Self.logCapHeadroom)}}"#
    }

    struct Figures {
        var logBytes = 0
        var logSeconds = 0.0
        /// From the first byte to the exit of `mesh logs -f`.
        var logExitSeconds = 0.0
        var artifactBytes = 0
        var artifactSeconds = 0.0
        var transferSeconds = 0.0
        var executor = ""
        var reader = ""
        var artifactExecutor = ""
        var artifactReader = ""
        var logCPUSeconds = 0.0
        var artifactCPUSeconds = 0.0
        var transferCPUSeconds = 0.0
    }

    /// CPU seconds of the executor node, the reader node, this process and its reaped children
    /// (the `mesh logs -f` it ran), now.
    struct CPU {
        var seconds: [Double]
        init(_ pids: [pid_t]) {
            seconds = pids.map { Double(ProcessMeter.cpuTicks($0) ?? 0) / ProcessMeter.ticksPerSecond }
            for who in [RUSAGE_SELF, RUSAGE_CHILDREN] {
                var usage = rusage()
                getrusage(__rusage_who_t(who.rawValue), &usage)
                seconds.append(Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6)
            }
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
        var figures = Figures()
        let writer = try submit("writer", client)
        guard let executor = waitForExecutor(writer, client: client) else { throw Failure("task \(writer) did not start within 30 s") }
        var (readerIndex, pids) = roles(cluster, executor: executor)
        (figures.executor, figures.reader) = (executor, cluster.names[readerIndex])
        var before = CPU(pids)
        try measureLogs(writer, endpoint: cluster.httpEndpoint(readerIndex), errors: cluster.directory + "/logs-f.err", into: &figures)
        figures.logCPUSeconds = CPU(pids).busiest(since: before)
        let producer = try submit("artifact", client)
        let artifactExecutor = try waitForSuccess(producer, client: client)
        (readerIndex, pids) = roles(cluster, executor: artifactExecutor)
        (figures.artifactExecutor, figures.artifactReader) = (artifactExecutor, cluster.names[readerIndex])
        let reader = ControlClient(endpoint: cluster.httpEndpoint(readerIndex), timeout: .seconds(15))
        before = CPU(pids)
        try measureArtifact(producer, reader: reader, directory: cluster.directory, into: &figures)
        figures.artifactCPUSeconds = CPU(pids).busiest(since: before)
        before = CPU(pids)
        try measureRawArtifact(producer, reader: reader, into: &figures)
        figures.transferCPUSeconds = CPU(pids).busiest(since: before)
        if json { print(jsonFigures(figures).serialized(pretty: true)) } else { printText(figures) }
        return 0
    }

    private func submit(_ profile: String, _ client: ControlClient) throws -> TaskID {
        let answer = try client.submitTask(TaskSpec(profile: profile, prompt: "bench"))
        guard answer.isSuccess, let id = answer.json["id"]?.string.flatMap(TaskID.init) else {
            throw Failure("the submission was refused: \(answer.errorMessage)")
        }
        return id
    }

    /// The reader (the node that did not run the agent) and the pids of the executor and the reader.
    private func roles(_ cluster: LocalCluster, executor: String) -> (Int, [pid_t]) {
        let readerIndex = cluster.names.firstIndex(of: executor) == 0 ? 1 : 0
        return (readerIndex, [1 - readerIndex, readerIndex].compactMap { cluster.process($0)?.pid })
    }

    /// Waits until the task has succeeded; the node its attempt ran on.
    private func waitForSuccess(_ id: TaskID, client: ControlClient) throws -> String {
        let deadline = SystemClock.monotonicNanoseconds() + .seconds(fraction: Self.artifactTaskSeconds)
        while SystemClock.monotonicNanoseconds() < deadline {
            if let record = try? client.task(id), let state = record.json["state"]?.string {
                if state == "succeeded", let node = record.json["history"]?.array?.last(where: { $0["state"]?.string == "running" })?["node"]?.string {
                    return node
                }
                if ["failed", "timed_out", "cancelled"].contains(state) { throw Failure("task \(id) ended \(state)") }
            }
            usleep(50_000)
        }
        throw Failure("task \(id) did not succeed within \(Int(Self.artifactTaskSeconds)) s")
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
        print("\(megabytes) MiB each, read through the node that did not run the agent:")
        print(String(format: "  logs -f:   %.1f MB/s wall (%d bytes in %.3f s, through %@ from %@; exited %.3f s after the first byte); %.1f MB/s CPU-bound (goal >= 50)",
                     rate(f.logBytes, f.logSeconds), f.logBytes, f.logSeconds, f.reader, f.executor, f.logExitSeconds,
                     rate(f.logBytes, f.logCPUSeconds)))
        if f.logBytes != bytes { print("  (the log held \(f.logBytes) bytes, not the \(bytes) written)") }
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
        members.append(("logExitSeconds", .number(f.logExitSeconds)))
        members.append(("artifactExecutor", .string(f.artifactExecutor)))
        members.append(("artifactReader", .string(f.artifactReader)))
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
