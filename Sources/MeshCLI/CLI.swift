import Foundation
import MeshCore
import MeshRuntime

/// Entry point of the `mesh` command: dispatches to subcommands, turns usage errors into one line
/// on standard error and exit status 2.
public enum MeshCommandLine {
    /// Every subcommand. Each lives in its own file as `static let <name>Command`.
    static var commands: [Command] {
        [simCommand, startCommand, statusCommand, leaveCommand, keygenCommand, demoCommand, benchCommand,
         checkConfigCommand, placeCommand, joinCommand, forceLeaveCommand, monitorCommand, infoCommand, rttCommand, keysCommand,
         submitCommand, taskCommand, tasksCommand, cancelCommand, logsCommand, artifactsCommand,
         mcpCommand]
    }

    public static func main(_ arguments: [String]) -> Int32 {
        guard let first = arguments.first else {
            print(topHelp)
            return 0
        }
        if first == AgentSupervisor.subcommand {   // hidden: the node's agent launcher
            return AgentSupervisor.main(Array(arguments.dropFirst()))
        }
        if first == "--version" || first == "version" {
            print("mesh \(MeshVersion.release) (protocol \(MeshVersion.protocolMinimum)-\(MeshVersion.protocolCurrent))")
            return 0
        }
        if first == "--help" || first == "-h" || first == "help" {
            if arguments.count > 1, let command = commands.first(where: { $0.name == arguments[1] }) {
                print(command.helpText)
            } else {
                print(topHelp)
            }
            return 0
        }
        guard let command = commands.first(where: { $0.name == first }) else {
            printError("unknown command '\(first)' (see mesh --help)")
            return 2
        }
        do {
            let parsed = try ParsedArguments(Array(arguments.dropFirst()), specs: command.options)
            if parsed.has("help") {
                print(command.helpText)
                return 0
            }
            return try command.run(parsed)
        } catch let error as UsageError {
            printError(error.description)
            return 2
        } catch {
            printError("\(error)")
            return 1
        }
    }

    static var topHelp: String {
        let width = commands.map(\.name.count).max() ?? 0
        var lines = ["mesh \(MeshVersion.release): a hubless mesh that runs AI agents across machines", "",
                     "usage: mesh <command> [options]", "", "commands:"]
        for command in commands {
            lines.append("  " + command.name + String(repeating: " ", count: width - command.name.count + 2) + command.summary)
        }
        lines.append("")
        lines.append("mesh <command> --help shows a command's options; mesh --version prints the version.")
        return lines.joined(separator: "\n")
    }
}

/// Writes one line to standard error, prefixed with `mesh: `.
func printError(_ message: String) {
    FileHandle.standardError.write(Data(("mesh: " + message + "\n").utf8))
}
