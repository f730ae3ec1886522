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
        guard arguments.has("watch") else { return try printStatus(client, render: render) }
        while true {
            var screen = "\u{1B}[H\u{1B}[J"   // cursor home, clear to end: redraw in place
            do throws(ControlClient.Failure) {
                let report = try client.status()
                screen += render(report)
            } catch {
                screen += "mesh: \(error.description)"
            }
            screen += "\n\n" + Logger.timestamp() + "  (every \(intervalSeconds)s; Ctrl-C to stop)\n"
            FileHandle.standardOutput.write(Data(screen.utf8))
            Glibc.sleep(UInt32(intervalSeconds))
        }
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
