import Foundation
import MeshCore
import MeshRuntime

extension MeshCommandLine {
    static let rttCommand = Command(
        name: "rtt", summary: "round-trip time from this node (or the first name) to a member, from probe round trips",
        usage: "rtt NAME [NAME] [--http ADDR:PORT] [--json]",
        options: clientOptions + [jsonOption]) { arguments in
        let names = arguments.positionals
        guard (1...2).contains(names.count) else {
            throw UsageError("rtt takes one or two member names (got \(names.count)); see mesh rtt --help")
        }
        for name in names where MemberName.validationError(name) != nil {
            throw UsageError("'\(name)' is not a member name (letters, digits, -_., at most 64 bytes)")
        }
        let client = try controlClient(arguments)
        let query = names.count == 2 ? "from=\(names[0])&to=\(names[1])" : "to=\(names[0])"
        return printAnswer(callNode(client, "GET", "/v1/rtt?" + query), arguments) { json in
            let from = plainText(json["from"]), to = plainText(json["to"])
            guard let smoothed = json["rttMilliseconds"]?.double else {
                return "\(from) -> \(to): not measured (\(from) has no ack from \(to) yet, or does not know it)"
            }
            let last = json["lastRttMilliseconds"]?.double.map { String(format: "%.3f ms", $0) } ?? "-"
            return "\(from) -> \(to): " + String(format: "%.3f ms", smoothed) + " (smoothed over direct probes; last \(last))"
        }
    }
}
