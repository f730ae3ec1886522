import MeshCore
import MeshRuntime

/// The settings of `mesh start` as one source gives them (flags, `MESH_*` variables or the JSON
/// config file); nil means "this source does not say". `overriding` layers them: flags over the
/// environment over the file.
struct StartSettings: Equatable {
    var name: String?
    var bind: String?
    var advertise: String?
    var join: [String]?
    var data: String?
    var keyFile: String?
    var cluster: String?
    var preset: String?
    var http: String?
    var httpTokenFile: String?
    var insecure: Bool?
    var logFormat: String?
    var logLevel: String?
    var membersMax: String?
    /// Agent profiles and node tags: only the config file gives them.
    var profiles: ProfilesConfig?

    /// The config file keys: the flag names in camelCase.
    static let fileKeys = ["name", "bind", "advertise", "join", "data", "keyFile", "cluster", "preset", "http",
                           "httpTokenFile", "insecure", "logFormat", "logLevel", "membersMax", "profiles", "tags"]

    /// These settings where they say something, `lower` where they do not.
    func overriding(_ lower: StartSettings) -> StartSettings {
        StartSettings(name: name ?? lower.name, bind: bind ?? lower.bind, advertise: advertise ?? lower.advertise,
                      join: join ?? lower.join, data: data ?? lower.data, keyFile: keyFile ?? lower.keyFile,
                      cluster: cluster ?? lower.cluster, preset: preset ?? lower.preset, http: http ?? lower.http,
                      httpTokenFile: httpTokenFile ?? lower.httpTokenFile, insecure: insecure ?? lower.insecure,
                      logFormat: logFormat ?? lower.logFormat, logLevel: logLevel ?? lower.logLevel,
                      membersMax: membersMax ?? lower.membersMax, profiles: profiles ?? lower.profiles)
    }

    /// From the command line.
    static func fromFlags(_ arguments: ParsedArguments) -> StartSettings {
        let joins = arguments.all("join")
        return StartSettings(
            name: arguments.value("name"), bind: arguments.value("bind"), advertise: arguments.value("advertise"),
            join: joins.isEmpty ? nil : joins, data: arguments.value("data"), keyFile: arguments.value("key-file"),
            cluster: arguments.value("cluster"), preset: arguments.value("preset"), http: arguments.value("http"),
            httpTokenFile: arguments.value("http-token-file"), insecure: arguments.has("insecure") ? true : nil,
            logFormat: arguments.value("log-format"), logLevel: arguments.value("log-level"),
            membersMax: arguments.value("members-max"))
    }

    /// From `MESH_*` variables. `MESH_JOIN` holds addresses separated by commas or spaces.
    static func fromEnvironment(_ environment: [String: String]) throws(UsageError) -> StartSettings {
        func value(_ key: String) -> String? {
            guard let text = environment[key].map(Text.trimmed), !text.isEmpty else { return nil }
            return text
        }
        var insecure: Bool?
        if let text = value("MESH_INSECURE") {
            switch text.lowercased() {
            case "1", "true", "yes": insecure = true
            case "0", "false", "no": insecure = false
            default: throw UsageError("MESH_INSECURE must be true or false (got '\(text)')")
            }
        }
        let join = value("MESH_JOIN").map { $0.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init) }
        return StartSettings(
            name: value("MESH_NAME"), bind: value("MESH_BIND"), advertise: value("MESH_ADVERTISE"), join: join,
            data: value("MESH_DATA"), keyFile: value("MESH_KEY_FILE"), cluster: value("MESH_CLUSTER"),
            preset: value("MESH_PRESET"), http: value("MESH_HTTP"), httpTokenFile: value("MESH_HTTP_TOKEN_FILE"),
            insecure: insecure, logFormat: value("MESH_LOG_FORMAT"), logLevel: value("MESH_LOG_LEVEL"),
            membersMax: value("MESH_MEMBERS_MAX"))
    }

    /// From the JSON config file at `path` holding `text`. Unknown keys and wrong types are errors;
    /// relative file paths in it are taken relative to the file's directory.
    static func fromConfigFile(_ text: String, path: String) throws(UsageError) -> StartSettings {
        let json: JSONValue
        do {
            json = try JSONValue.parse(text)
        } catch {
            throw UsageError("config \(path): not valid JSON: \(error.description)")
        }
        guard let fields = json.object else { throw UsageError("config \(path): must be one JSON object") }
        for (key, _) in fields where !fileKeys.contains(key) {
            throw UsageError("config \(path): unknown key '\(key)' (known keys: \(fileKeys.joined(separator: ", ")))")
        }
        func string(_ key: String) throws(UsageError) -> String? {
            guard let raw = json[key] else { return nil }
            guard let text = raw.string else { throw UsageError("config \(path): '\(key)' must be a string") }
            return text
        }
        func file(_ key: String) throws(UsageError) -> String? {
            guard let text = try string(key) else { return nil }
            guard !text.hasPrefix("/") else { return text }
            let directory = Text.directory(of: path)
            return directory.isEmpty ? text : directory + "/" + text
        }
        var join: [String]?
        if let raw = json["join"] {
            guard let list = raw.array, list.allSatisfy({ $0.string != nil }) else {
                throw UsageError("config \(path): 'join' must be a list of \"HOST:PORT\" strings")
            }
            join = list.compactMap(\.string)
        }
        var insecure: Bool?
        if let raw = json["insecure"] {
            guard let flag = raw.bool else { throw UsageError("config \(path): 'insecure' must be true or false") }
            insecure = flag
        }
        var membersMax: String?
        if let raw = json["membersMax"] {
            guard let count = raw.integer else { throw UsageError("config \(path): 'membersMax' must be a whole number") }
            membersMax = String(count)
        }
        let profiles = ProfilesConfig(json: json, positions: JSONPositions(text))
        if let first = profiles.problems.first {
            let more = profiles.problems.count > 1 ? " (and \(profiles.problems.count - 1) more: mesh check-config \(path))" : ""
            throw UsageError("config \(path): \(first)\(more)")
        }
        return StartSettings(
            name: try string("name"), bind: try string("bind"), advertise: try string("advertise"), join: join,
            data: try file("data"), keyFile: try file("keyFile"), cluster: try string("cluster"),
            preset: try string("preset"), http: try string("http"), httpTokenFile: try file("httpTokenFile"),
            insecure: insecure, logFormat: try string("logFormat"), logLevel: try string("logLevel"),
            membersMax: membersMax, profiles: profiles)
    }
}
