import MeshCore
import MeshRuntime

extension MeshCommandLine {
    static let joinCommand = Command(
        name: "join", summary: "make a running node join the mesh through one or more members",
        usage: "join ADDR:PORT... [--http ADDR:PORT] [--json]",
        options: clientOptions + [jsonOption]) { arguments in
        guard !arguments.positionals.isEmpty else {
            throw UsageError("join needs at least one ADDR:PORT of a member to join through; see mesh join --help")
        }
        guard arguments.positionals.count <= ControlLimits.joinSeedsMax else {
            throw UsageError("join takes at most \(ControlLimits.joinSeedsMax) addresses (got \(arguments.positionals.count))")
        }
        var addresses: [String] = []
        for entry in arguments.positionals {
            do {
                addresses += try Resolver.resolve(entry).prefix(1).map(\.description)
            } catch {
                throw UsageError("cannot join through '\(entry)': \(error)")
            }
        }
        let client = try controlClient(arguments)
        let body = JSONValue.object([("addresses", .array(addresses.map(JSONValue.string)))])
        guard let answer = callNode(client, "POST", "/v1/join", body: body) else { return 1 }
        let joined = answer["joined"]?.unsigned ?? 0
        _ = printAnswer(answer, arguments) { json in
            var lines: [String] = []
            for seed in json["seeds"]?.array ?? [] {
                let address = plainText(seed["address"])
                lines.append(seed["joined"]?.bool == true ? "\(address): joined" : "\(address): not joined: \(plainText(seed["error"]))")
            }
            lines.append("joined through \(joined) of \(addresses.count)")
            return lines.joined(separator: "\n")
        }
        return joined > 0 ? 0 : 1
    }
}
