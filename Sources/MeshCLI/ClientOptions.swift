import MeshCore
import MeshRuntime

/// What every client command (`status`, `leave`, and those later issues add) shares: where the
/// node's control API is and the token it may require.
extension MeshCommandLine {
    static let clientOptions: [OptionSpec] = [
        .value("http", "ADDR:PORT", "the node's control API (default \(StartPlan.defaultHTTP), env MESH_HTTP)"),
        .value("token-file", "FILE", "file holding the control API token (default: env MESH_HTTP_TOKEN)"),
    ]

    /// A client for the node named by `--http` / `MESH_HTTP`, with the token from `--token-file` /
    /// `MESH_HTTP_TOKEN`.
    static func controlClient(_ arguments: ParsedArguments,
                              environment: [String: String] = Text.environment()) throws(UsageError) -> ControlClient {
        let variable = environment["MESH_HTTP"].flatMap { $0.isEmpty ? nil : $0 }
        let text = arguments.value("http") ?? variable ?? StartPlan.defaultHTTP
        guard let endpoint = SocketEndpoint(parsing: text), endpoint.port != 0 else {
            let origin = arguments.value("http") == nil && variable != nil ? "MESH_HTTP" : "--http"
            throw UsageError("\(origin) must be IPV4:PORT or [IPV6]:PORT (got '\(text)')")
        }
        var token = environment["MESH_HTTP_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        if let path = arguments.value("token-file") {
            do {
                token = Text.trimmed(try Files.readText(path, bytesMax: 4096))
            } catch {
                throw UsageError("cannot read --token-file \(path): \(error.reason)")
            }
        }
        return ControlClient(endpoint: endpoint, token: token)
    }

    /// Rejects positional arguments for commands that take none.
    static func expectNoArguments(_ arguments: ParsedArguments, command: String) throws(UsageError) {
        if let first = arguments.positionals.first {
            throw UsageError("\(command) takes no arguments (got '\(first)'); see mesh \(command) --help")
        }
    }
}
