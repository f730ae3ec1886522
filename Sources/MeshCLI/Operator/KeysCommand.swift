import MeshCore
import MeshRuntime

extension MeshCommandLine {
    static let keysCommand = Command(
        name: "keys", summary: "list, install, use or remove cluster keys on a running node (no restart)",
        usage: "keys list | install KEY | use KEY | remove KEY [--key-file FILE] [--http ADDR:PORT] [--json]",
        options: clientOptions + [
            jsonOption,
            .value("key-file", "FILE", "read KEY from the first key line of FILE instead of the command line"),
        ]) { arguments in
        let words = arguments.positionals
        guard let action = words.first, ["list", "install", "use", "remove"].contains(action) else {
            throw UsageError("keys needs an action: list, install KEY, use KEY or remove KEY; see mesh keys --help")
        }
        let client = try controlClient(arguments)
        if action == "list" {
            guard words.count == 1 else { throw UsageError("keys list takes no other arguments (got '\(words[1])')") }
            return printAnswer(callNode(client, "GET", "/v1/keys"), arguments, text: keysText)
        }
        let key = try keyArgument(arguments, action: action)
        let answer = callNode(client, "POST", "/v1/keys/" + action, body: .object([("key", .string(key.base64))]))
        return printAnswer(answer, arguments) { json in
            let done = ["install": "installed", "use": "now the primary key", "remove": "removed"][action]!
            return "key \(key.fingerprintText): \(done)\n\n" + keysText(json)
        }
    }

    /// The key an install, use or remove names: the one positional, or the first key of `--key-file`.
    static func keyArgument(_ arguments: ParsedArguments, action: String) throws(UsageError) -> MeshKey {
        let words = arguments.positionals
        if let path = arguments.value("key-file") {
            guard words.count == 1 else { throw UsageError("give KEY or --key-file, not both") }
            let text: String
            do { text = try Files.readText(path, bytesMax: 64 * 1024) } catch {
                throw UsageError("cannot read --key-file \(path): \(error.reason)")
            }
            do { return try KeyFile.parse(text)[0] } catch { throw UsageError("--key-file \(path): \(error.description)") }
        }
        guard words.count == 2 else {
            throw UsageError("keys \(action) needs one KEY (a line from mesh keygen) or --key-file FILE")
        }
        do { return try MeshKey(parsing: words[1]) } catch { throw UsageError("KEY: \(error.description)") }
    }

    /// This node's keys by fingerprint, then the primary key each member advertises.
    static func keysText(_ json: JSONValue) -> String {
        var keyRows = [["KEY FINGERPRINT", "ROLE"]]
        for key in json["keys"]?.array ?? [] {
            keyRows.append([plainText(key["fingerprint"]), key["primary"]?.bool == true ? "primary" : "accepted"])
        }
        var memberRows = [["MEMBER", "STATE", "PRIMARY KEY"]]
        for member in json["members"]?.array ?? [] {
            memberRows.append([plainText(member["name"]), plainText(member["state"]), plainText(member["keyFingerprint"])])
        }
        var text = columns(keyRows) + "\n\n" + columns(memberRows)
        if let file = json["keyFile"]?.string { text += "\n\nkey file: \(file)" }
        return text
    }
}
