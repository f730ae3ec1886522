import Foundation
import Glibc
import MeshCore
import MeshRuntime

/// How the demo drives the mesh: the same `mesh` commands an operator types (`mesh submit`,
/// `mesh task`, `mesh logs`, `mesh artifacts`), run as child processes of this binary against a
/// node's control API, each printed before it runs.
struct DemoShell {
    /// Longest any one command may take before the demo counts it as failed.
    static let commandSecondsMax: Double = 20

    /// What a finished command left: its exit status and its standard output and error.
    struct Result {
        var status: Int32
        var output: String
        var errors: String
    }

    let executable: String
    let directory: String
    /// Where each command is shown (`$ mesh …`) before it runs.
    let echo: (String) -> Void
    private let counter = Counter()

    /// Runs `mesh ARGUMENTS` with its outputs in files under `directory`; nil status when it ran too long (killed).
    func run(_ arguments: [String], quiet: Bool = false) throws -> Result {
        if !quiet { echo("    $ mesh " + arguments.map(Self.shown).joined(separator: " ")) }
        let number = counter.next()
        let out = "\(directory)/command-\(number).out", err = "\(directory)/command-\(number).err"
        defer { unlink(out); unlink(err) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ChildProcess.environment()
        guard FileManager.default.createFile(atPath: out, contents: nil), FileManager.default.createFile(atPath: err, contents: nil),
              let outHandle = FileHandle(forWritingAtPath: out), let errHandle = FileHandle(forWritingAtPath: err) else {
            throw Demo.Failure(message: "cannot create the output files of `mesh \(arguments.first ?? "")` in \(directory)")
        }
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(Self.commandSecondsMax)
        while process.isRunning && Date() < deadline { usleep(10_000) }   // a poll of the child, 10 ms
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        try? outHandle.close()
        try? errHandle.close()
        let output = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        let errors = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        return Result(status: process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus,
                      output: output, errors: errors)
    }

    /// Runs the command and insists it exits 0; the failure names `step` and carries its error text.
    func expectSuccess(_ arguments: [String], step: String, quiet: Bool = false) throws -> String {
        let result = try run(arguments, quiet: quiet)
        guard result.status == 0 else {
            let detail = result.errors.trimmingCharacters(in: .whitespacesAndNewlines)
            throw Demo.Failure(message: "\(step): `mesh \(arguments.first ?? "")` exited with \(result.status)"
                               + (detail.isEmpty ? "" : ": \(detail.prefix(600))"))
        }
        return result.output
    }

    /// Longest argument shown whole when a command is echoed.
    static let shownArgumentCharactersMax = 72

    /// An argument as echoed: quoted, and a long one (a prompt carrying outputs) cut, with its size.
    static func shown(_ text: String) -> String {
        guard text.count > shownArgumentCharactersMax || text.contains("\n") else { return quoted(text) }
        let head = text.prefix(while: { $0 != "\n" }).prefix(shownArgumentCharactersMax)
        return quoted(head + "…") + "(\(text.utf8.count) bytes)"
    }

    /// An argument as a shell would need it quoted.
    static func quoted(_ text: String) -> String {
        text.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=@,".contains($0) } ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// A thread-safe counter for file names.
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func next() -> Int {
            lock.lock()
            defer { lock.unlock() }
            value += 1
            return value
        }
    }
}
