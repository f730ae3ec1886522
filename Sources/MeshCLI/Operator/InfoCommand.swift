import MeshCore
import MeshRuntime

extension MeshCommandLine {
    static let infoCommand = Command(
        name: "info", summary: "show this node: name, address, versions, settings, counters, uptime, key fingerprint",
        usage: "info [--http ADDR:PORT] [--json]",
        options: clientOptions + [jsonOption]) { arguments in
        try expectNoArguments(arguments, command: "info")
        let client = try controlClient(arguments)
        return printAnswer(callNode(client, "GET", "/v1/info"), arguments, text: infoText)
    }

    /// `key: value` lines; nested objects (settings, counters) indented under their name.
    static func infoText(_ json: JSONValue) -> String {
        var lines: [String] = []
        func add(_ object: [(String, JSONValue)], indent: String) {
            let width = object.map(\.0.count).max() ?? 0
            for (key, value) in object {
                if let nested = value.object, nested.isEmpty {
                    lines.append(indent + key.padding(toLength: width, withPad: " ", startingAt: 0) + "  none")
                } else if let nested = value.object {
                    lines.append(indent + key + ":")
                    add(nested, indent: indent + "  ")
                } else {
                    lines.append(indent + key.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + plainText(value))
                }
            }
        }
        add(json.object ?? [], indent: "")
        return lines.joined(separator: "\n")
    }
}
