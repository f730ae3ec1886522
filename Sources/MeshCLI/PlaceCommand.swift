import MeshCore
import MeshRuntime

extension MeshCommandLine {
    static let placeCommand = Command(
        name: "place", summary: "show which member owns a key for a profile, its replicas, and who was skipped",
        usage: "place KEY --profile P [--tag T]... [--json] [--http ADDR:PORT]",
        options: clientOptions + [
            .value("profile", "P", "the profile that must run the task (required)"),
            .repeated("tag", "T", "a tag the owner must carry (repeatable)"),
            .flag("json", "print {\"owner\": NAME, \"replicas\": [NAME...], \"skipped\": [{\"name\", \"reason\", \"detail\"}]}"),
        ]) { arguments in
        guard arguments.positionals.count == 1, let key = arguments.positionals.first, !key.isEmpty else {
            throw UsageError("place takes one KEY (got \(arguments.positionals.count) arguments); see mesh place --help")
        }
        guard let profile = arguments.value("profile"), !profile.isEmpty else {
            throw UsageError("--profile P is required: the profile that must run the task")
        }
        let client = try controlClient(arguments)
        var query = "/v1/place?key=\(percentEncoded(key))&profile=\(percentEncoded(profile))"
        for tag in arguments.all("tag") { query += "&tag=\(percentEncoded(tag))" }
        let json: JSONValue
        do throws(ControlClient.Failure) {
            let body = try client.request("GET", query)
            do throws(JSONError) {
                json = try JSONValue.parse(String(decoding: body, as: UTF8.self))
            } catch {
                throw .badResponse(error.description)
            }
        } catch {
            printError(error.description)
            return 1
        }
        print(arguments.has("json") ? json.serialized(pretty: true) : placementText(json, key: key, profile: profile))
        return 0
    }

    /// `owner: b` / `replicas: c` / `skipped: a (lacks profile claude)`.
    static func placementText(_ json: JSONValue, key: String, profile: String) -> String {
        let owner = json["owner"]?.string ?? "none (no alive member with the profile and tags has room)"
        let replicas = json["replicas"]?.array?.compactMap(\.string) ?? []
        let skipped = (json["skipped"]?.array ?? []).map { skip in
            "\(skip["name"]?.string ?? "?") (\(skip["detail"]?.string ?? skip["reason"]?.string ?? "?"))"
        }
        return ["key \(MemberName.printable(key)), profile \(MemberName.printable(profile))",
                "owner: \(owner)",
                "replicas: \(replicas.isEmpty ? "none" : replicas.joined(separator: ", "))",
                "skipped: \(skipped.isEmpty ? "none" : skipped.joined(separator: ", "))"].joined(separator: "\n")
    }

    /// Every byte but unreserved ASCII as %XX, for a query string.
    static func percentEncoded(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                result += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return result
    }
}
