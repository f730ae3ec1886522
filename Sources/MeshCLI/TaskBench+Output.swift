import Foundation
import MeshCore
import MeshRuntime

/// `mesh bench tasks`: its figures as text or JSON, and its command-line entry.
extension TaskBench {
    func printText(_ figures: Figures) {
        let q = Self.quantile
        print("mesh bench tasks: \(nodes) nodes on loopback (preset \(preset)), data in \(parent), load average \(figures.load)"
              + (nodeBinary.map { "; nodes run \($0)" } ?? ""))
        print(String(format: "fsync (1 KiB append + fsync, %d samples):  p50 %.3f ms  p99 %.3f ms",
                     figures.fsyncMs.count, q(figures.fsyncMs, 0.5), q(figures.fsyncMs, 0.99)))
        print("hold agents started before the timed submissions: \(figures.holdAgents) of \(Self.holdProfiles * nodes)")
        print(String(format: "submit -> accepted (%d connections, %.1f s):  p50 %.2f ms  p99 %.2f ms  (targets 2 ms / 10 ms)",
                     connections, figures.submitSeconds, q(figures.latencyMs, 0.5), q(figures.latencyMs, 0.99)))
        let rate = Double(figures.accepted) / max(figures.submitSeconds, 0.001)
        print(String(format: "accepted tasks/s:  %.0f overall, %d in the slowest whole second  (target 1000)",
                     rate, figures.perSecond.min() ?? 0))
        print("  per second: " + figures.perSecond.map(String.init).joined(separator: " "))
        print("  issue 9 targets in this run: " + targetVerdict(figures))
        print("  slowest: " + figures.slowest.map { String(format: "%.1f ms at %.2f s", $0.ms, $0.at) }.joined(separator: ", "))
        let refused = figures.refused.sorted { $0.key < $1.key }.map { "\($0.value) × \($0.key)" }.joined(separator: ", ")
        print("  \(figures.accepted) accepted, refused: \(refused.isEmpty ? "none" : refused), failed: \(figures.failed), reconnects: \(figures.reconnects)")
        print(String(format: "forwards per accepted task: %.2f", figures.forwardsPerTask))
        print(String(format: "CPU per accepted task:  nodes %.3f ms (all together), client %.3f ms",
                     figures.nodeCPUSeconds * 1e3 / Double(max(1, figures.accepted)),
                     figures.clientCPUSeconds * 1e3 / Double(max(1, figures.accepted))))
        printBreakdown(figures)
        print(String(format: "executed no-op tasks/s:  %.1f  (%d tasks in %.1f s)", Double(figures.executed) / max(figures.executeSeconds, 0.001),
                     figures.executed, figures.executeSeconds))
        let notAccepted = figures.executeRefused.sorted { $0.key < $1.key }.map { "\($0.value) × \($0.key)" }
            + (figures.executeFailed > 0 ? ["\(figures.executeFailed) without an answer"] : [])
        if !notAccepted.isEmpty { print("  no-op submissions not accepted: " + notAccepted.joined(separator: ", ")) }
        for (reason, count) in figures.reasons.sorted(by: { $0.value > $1.value }).prefix(3) {
            print("  refused \(count)×: \(reason)")
        }
        print("forwarded more than once: \(figures.forwardedAgain) of \(figures.executed) no-op tasks (\(figures.forwards) forwards in all)")
        let rerun = figures.rerunSeconds.map { String(format: "%.2f s", $0) } ?? "not seen"
        let dead = figures.deadSeconds.map { String(format: "%.2f s", $0) } ?? "not seen"
        print("executor SIGKILL -> task running elsewhere: \(rerun)  (held dead after \(dead); target: dead + 1 s)")
    }

    /// Where a submission's time went, as means over the submission phase from the nodes' counters.
    func printBreakdown(_ figures: Figures) {
        let c = figures.counters
        func mean(_ name: String) -> Double {
            Double(c[name + "Micros"] ?? 0) / 1_000 / Double(max(1, c[name + "Count"] ?? 0))
        }
        let accepted = Double(max(1, figures.accepted))
        print("where the time went (means over the submission phase, all nodes):")
        print(String(format: "  entry node, request parsed -> answer sent:  %.2f ms", mean("timingSubmit")))
        print(String(format: "  task exchanges (forward, store) on links, open -> answered:  %.2f ms  (%.2f per accepted task)",
                     mean("timingLinkExchange"), Double(c["timingLinkExchangeCount"] ?? 0) / accepted))
        print(String(format: "  log sync, first sync asked -> durable:  %.2f ms;  write + fsync itself:  %.2f ms",
                     mean("timingSyncWait"), mean("timingFsync")))
        print(String(format: "  fsyncs: %d, %.2f per accepted task (each task is synced on two nodes, then its queued event on both)",
                     c["timingFsyncCount"] ?? 0, Double(c["timingFsyncCount"] ?? 0) / accepted))
        print("  TCP connections opened for task traffic: \(c["linksOpened"] ?? 0) (streams on them: \(c["linkStreams"] ?? 0) in, out);"
              + " streams refused: \(c["streamsRefused"] ?? 0), on links: \(c["linkStreamsRefused"] ?? 0), incomplete: \(c["streamsIncomplete"] ?? 0)")
        print("  task streams resumed (no hello round trip): \(c["streamsResumed"] ?? 0) of \(c["timingLinkExchangeCount"] ?? 0);"
              + " sent again in full (refused, or closed before the server's hello): \(c["streamsResumeRefused"] ?? 0)")
    }

    func jsonFigures(_ figures: Figures) -> JSONValue {
        let q = Self.quantile
        func milliseconds(_ value: Double) -> JSONValue { .number((value * 1_000).rounded() / 1_000) }
        let held = targetsHeld(figures)
        return .object([
            ("nodes", .integer(Int64(nodes))), ("preset", .string(preset)), ("dataDirectory", .string(parent)),
            ("loadAverage", .string(figures.load)), ("connections", .integer(Int64(connections))),
            ("nodeBinary", nodeBinary.map { .string($0) } ?? .null),
            ("fsyncP50Ms", milliseconds(q(figures.fsyncMs, 0.5))), ("fsyncP99Ms", milliseconds(q(figures.fsyncMs, 0.99))),
            ("submitSeconds", .number(figures.submitSeconds)),
            ("acceptedP50Ms", milliseconds(q(figures.latencyMs, 0.5))), ("acceptedP99Ms", milliseconds(q(figures.latencyMs, 0.99))),
            ("accepted", .integer(Int64(figures.accepted))),
            ("acceptedPerSecond", .number((Double(figures.accepted) / max(figures.submitSeconds, 0.001)).rounded())),
            ("acceptedSlowestSecond", .integer(Int64(figures.perSecond.min() ?? 0))),
            ("targetsHeld", .bool(held.all)), ("everySecondAtTarget", .bool(held.everySecond)),
            ("acceptedPerSecondSeries", .array(figures.perSecond.map { .integer(Int64($0)) })),
            ("holdAgentsBefore", .integer(Int64(figures.holdAgents))),
            ("acceptedMaxMs", milliseconds(figures.slowest.first?.ms ?? 0)),
            ("refusedByStatus", .object(figures.refused.sorted { $0.key < $1.key }.map { ("\($0.key)", .integer(Int64($0.value))) })),
            ("failed", .integer(Int64(figures.failed))), ("reconnects", .integer(Int64(figures.reconnects))),
            ("forwardsPerTask", .number((figures.forwardsPerTask * 100).rounded() / 100)),
            ("nodeCPUMsPerTask", milliseconds(figures.nodeCPUSeconds * 1e3 / Double(max(1, figures.accepted)))),
            ("clientCPUMsPerTask", milliseconds(figures.clientCPUSeconds * 1e3 / Double(max(1, figures.accepted)))),
            ("executed", .integer(Int64(figures.executed))),
            ("executedPerSecond", .number((Double(figures.executed) / max(figures.executeSeconds, 0.001) * 10).rounded() / 10)),
            ("forwards", .integer(Int64(figures.forwards))),
            ("forwardedMoreThanOnce", .integer(Int64(figures.forwardedAgain))),
            ("executeRefusedByStatus", .object(figures.executeRefused.sorted { $0.key < $1.key }
                .map { ("\($0.key)", .integer(Int64($0.value))) })),
            ("executeFailed", .integer(Int64(figures.executeFailed))),
            ("rerunAfterKillSeconds", .optional(figures.rerunSeconds)), ("deadAfterKillSeconds", .optional(figures.deadSeconds)),
            ("submitPhaseCounters", .object(figures.counters.filter { $0.key.hasPrefix("timing") || $0.key.hasPrefix("link")
                || $0.key.hasPrefix("streams") }
                .sorted { $0.key < $1.key }.map { ($0.key, .integer(Int64(clamping: $0.value))) })),
        ])
    }
}

extension MeshCommandLine {
    /// `mesh bench tasks`, from the bench command's arguments.
    static func runTaskBench(_ arguments: ParsedArguments) throws -> Int32 {
        let nodes = try arguments.integer("nodes", default: 5, in: 3...20)
        let seconds = try arguments.integer("seconds", default: 30, in: 1...600)
        let connections = try arguments.integer("connections", default: 2 * nodes, in: 1...(8 * nodes))
        let preset = arguments.value("preset") ?? "lan"
        guard MembershipSettings.Preset(rawValue: preset) != nil else { throw UsageError("--preset must be lan, wan or local") }
        let firstText = arguments.value("first-ip") ?? "127.0.0.121"
        guard let first = Address.parseIPv4(firstText), first >> 24 == 127, Int(first & 0xFF) + nodes <= 255 else {
            throw UsageError("--first-ip must be a loopback address with room for \(nodes) nodes after it (got '\(firstText)')")
        }
        let port = try arguments.integer("port", default: 7946, in: 1...65534)
        let parent = arguments.value("dir") ?? FileManager.default.currentDirectoryPath
        guard Files.exists(parent) else { throw UsageError("--dir \(parent) does not exist") }
        var bench = TaskBench(nodes: nodes, seconds: seconds, connections: connections, parent: parent, firstIP: first,
                              port: UInt16(port), preset: preset)
        if let binary = arguments.value("node-binary") {
            guard access(binary, X_OK) == 0 else { throw UsageError("--node-binary \(binary) is not an executable file") }
            bench.nodeBinary = binary
        }
        return try bench.run(json: arguments.has("json"))
    }
}

extension TaskBench {
    /// The acceptance's benchmark targets over the whole timed phase: p50 ≤ 2 ms, p99 ≤ 10 ms and
    /// ≥ 1,000 accepted/s overall (`all`); `everySecond`: no whole second below 1,000 either.
    func targetsHeld(_ figures: Figures) -> (p50: Bool, p99: Bool, rate: Bool, all: Bool, everySecond: Bool) {
        let p50 = Self.quantile(figures.latencyMs, 0.5) <= 2, p99 = Self.quantile(figures.latencyMs, 0.99) <= 10
        let rate = Double(figures.accepted) / max(figures.submitSeconds, 0.001) >= 1_000
        return (p50, p99, rate, p50 && p99 && rate && !figures.latencyMs.isEmpty, (figures.perSecond.min() ?? 0) >= 1_000)
    }

    /// One line: which targets held.
    func targetVerdict(_ figures: Figures) -> String {
        let held = targetsHeld(figures)
        func mark(_ ok: Bool) -> String { ok ? "held" : "MISSED" }
        return "p50 \(mark(held.p50)), p99 \(mark(held.p99)), 1,000/s overall \(mark(held.rate))"
            + " -> \(held.all ? "all held" : "not all held"); every whole second at 1,000/s: \(held.everySecond ? "yes" : "no")"
    }
}
