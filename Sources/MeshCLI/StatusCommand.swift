import Foundation
import Glibc
import MeshRuntime
import MeshCore

extension MeshCommandLine {
    static let statusCommand = Command(
        name: "status", summary: "show every member of the mesh as one node sees it",
        usage: "status [--http ADDR:PORT] [--json] [--state S] [--name GLOB] [--detailed] [--watch [--interval S]]",
        options: clientOptions + [
            .flag("json", "print the node's /v1/status answer as JSON"),
            .flag("watch", "redraw in place until interrupted"),
            .value("interval", "S", "seconds between redraws with --watch (default 1)"),
        ] + StatusFilter.options) { arguments in
        try expectNoArguments(arguments, command: "status")
        let client = try controlClient(arguments)
        let intervalSeconds = try arguments.integer("interval", default: 1, in: 1...3600)
        let filter = try StatusFilter(arguments)
        let render: (StatusReport) -> String = { report in
            let shown = filter.apply(report)
            return arguments.has("json") ? jsonText(shown)
                : arguments.has("detailed") ? StatusDetail.render(shown) : StatusTable.render(shown)
        }
        guard arguments.has("watch") else {
            if arguments.value("interval") != nil { throw UsageError("--interval needs --watch (seconds between redraws)") }
            return try printStatus(client, render: render)
        }
        let isTerminal = isatty(STDOUT_FILENO) == 1
        let line: ((StatusReport) -> String)? = arguments.has("json") && !isTerminal
            ? { filter.apply($0).json.serialized() } : nil
        while true {
            let screen = watchScreen(client, render: render, line: line, isTerminal: isTerminal, intervalSeconds: intervalSeconds)
            FileHandle.standardOutput.write(Data(screen.utf8))
            Glibc.sleep(UInt32(intervalSeconds))
        }
    }

    /// One redraw of `--watch`. On a terminal: clear the screen, the status, a footer. Into a pipe
    /// or file: no control codes; with `line` (`--json`) one compact JSON object per line (errors
    /// too, as `{"error": …}`), else the status and a timestamp, separated by a blank line.
    static func watchScreen(_ client: ControlClient, render: (StatusReport) -> String, line: ((StatusReport) -> String)?,
                            isTerminal: Bool, intervalSeconds: Int) -> String {
        let answer: Result<StatusReport, ControlClient.Failure>
        do throws(ControlClient.Failure) { answer = .success(try client.status()) } catch { answer = .failure(error) }
        if let line {
            switch answer {
            case .success(let report): return line(report) + "\n"
            case .failure(let error): return JSONValue.object([("error", .string(error.description))]).serialized() + "\n"
            }
        }
        var screen = isTerminal ? "\u{1B}[H\u{1B}[J" : ""   // cursor home, clear to end: redraw in place
        switch answer {
        case .success(let report): screen += render(report)
        case .failure(let error): screen += "mesh: \(error.description)"
        }
        screen += isTerminal ? "\n\n" + Logger.timestamp() + "  (every \(intervalSeconds)s; Ctrl-C to stop)\n"
            : "\n" + Logger.timestamp() + "\n\n"
        return screen
    }

    /// Prints the status once; 0 when the node answered, 1 otherwise.
    static func printStatus(_ client: ControlClient, render: (StatusReport) -> String) throws -> Int32 {
        do throws(ControlClient.Failure) {
            print(render(try client.status()))
            return 0
        } catch {
            printError(error.description)
            return 1
        }
    }

    static func jsonText(_ report: StatusReport) -> String {
        report.json.serialized(pretty: true)
    }
}
