import Foundation
import MeshCore
import MeshRuntime

extension MeshCommandLine {
    static let monitorCommand = Command(
        name: "monitor", summary: "print membership events as they happen, until interrupted",
        usage: "monitor [--http ADDR:PORT] [--json] [--from-start]",
        options: clientOptions + [
            .flag("json", "print each event as one JSON object per line"),
            .flag("from-start", "first print the recent events the node still holds (up to 1,024)"),
        ]) { arguments in
        try expectNoArguments(arguments, command: "monitor")
        var client = try controlClient(arguments)
        client.timeout = .seconds(4)   // above the 2 s the node holds a long poll
        var cursor: UInt64 = 0
        if !arguments.has("from-start") {
            guard let start = callNode(client, "GET", "/v1/events"), let next = start["next"]?.unsigned else { return 1 }
            cursor = next
        }
        while true {
            guard let batch = callNode(client, "GET", "/v1/events?after=\(cursor)&wait=2") else { return 1 }
            if let missed = batch["missed"]?.unsigned, missed > 0 {
                printError("missed \(missed) events: the node keeps the most recent 1,024")
            }
            for event in batch["events"]?.array ?? [] {
                let line = arguments.has("json") ? event.serialized() : monitorLine(event)
                FileHandle.standardOutput.write(Data((line + "\n").utf8))
            }
            cursor = batch["next"]?.unsigned ?? cursor
        }
    }

    /// `TIME  EVENT  MEMBER  incarnation N  ADDRESS`.
    static func monitorLine(_ event: JSONValue) -> String {
        var line = plainText(event["time"]) + "  " + plainText(event["event"]).padding(toLength: 9, withPad: " ", startingAt: 0)
            + "  " + plainText(event["member"])
        if let incarnation = event["incarnation"]?.unsigned { line += "  incarnation \(incarnation)" }
        if let address = event["address"]?.string { line += "  " + address }
        return line
    }
}
