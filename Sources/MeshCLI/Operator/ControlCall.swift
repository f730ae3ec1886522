import Foundation
import MeshCore
import MeshRuntime

/// What the operator commands share: one JSON request to the control API, its answer printed
/// as JSON (`--json`) or as text, and errors as one line with exit status 1.
extension MeshCommandLine {
    /// Sends `method path` with `body` and returns the JSON answer; prints the error and returns
    /// nil when the node could not be reached or refused.
    static func callNode(_ client: ControlClient, _ method: String, _ path: String, body: JSONValue? = nil) -> JSONValue? {
        do throws(ControlClient.Failure) {
            let answer = try client.request(method, path, body: body.map { Array($0.serialized().utf8) } ?? [])
            guard let json = try? JSONValue.parse(String(decoding: answer, as: UTF8.self)) else {
                printError("unexpected answer from the node: not JSON")
                return nil
            }
            return json
        } catch {
            printError(error.description)
            return nil
        }
    }

    /// Prints `json` pretty when `--json` was given, else `text(json)`; returns the exit status.
    static func printAnswer(_ json: JSONValue?, _ arguments: ParsedArguments, text: (JSONValue) -> String) -> Int32 {
        guard let json else { return 1 }
        print(arguments.has("json") ? json.serialized(pretty: true) : text(json))
        return 0
    }

    /// The `--json` option of every operator command that prints data.
    static let jsonOption = OptionSpec.flag("json", "print the node's answer as JSON")

    /// A JSON scalar as text: null as `-`, whole numbers without a fraction.
    static func plainText(_ value: JSONValue?) -> String {
        guard let value, !value.isNull else { return "-" }
        if let text = value.string { return text }
        if let number = value.double, value.integer == nil, value.unsigned == nil {
            return number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        }
        return value.serialized()
    }

    /// Rows as aligned columns (two spaces apart; the last column unpadded).
    static func columns(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        let widths = first.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.indices.map { column in
                column == row.count - 1 ? row[column] : row[column].padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
