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
    /// Where each value came from, by config key, as an error should name it: `--bind`,
    /// `MESH_BIND`, or `'bind' in config FILE (line L, column C)`.
    var origins: [String: String] = [:]

    /// The flag each config key stands for (`keyFile` → `--key-file`).
    static func flag(_ key: String) -> String {
        "--" + key.map { $0.isUppercase ? "-" + $0.lowercased() : String($0) }.joined()
    }

    /// The `MESH_*` variable of each config key (`keyFile` → `MESH_KEY_FILE`).
    static func variable(_ key: String) -> String {
        "MESH_" + String(flag(key).dropFirst(2).uppercased().map { $0 == "-" ? "_" : $0 })
    }

    /// How an error names the source of `key`'s value: where it came from, else the flag.
    func origin(_ key: String) -> String { origins[key] ?? Self.flag(key) }

    /// The config file keys: the flag names in camelCase.
    static let fileKeys = ["name", "bind", "advertise", "join", "data", "keyFile", "cluster", "preset", "http",
                           "httpTokenFile", "insecure", "logFormat", "logLevel", "membersMax", "profiles", "tags",
                           "workspaces", "attachments", "tasks"]

    /// These settings where they say something, `lower` where they do not.
    func overriding(_ lower: StartSettings) -> StartSettings {
        var merged = StartSettings(name: name ?? lower.name, bind: bind ?? lower.bind, advertise: advertise ?? lower.advertise,
                      join: join ?? lower.join, data: data ?? lower.data, keyFile: keyFile ?? lower.keyFile,
                      cluster: cluster ?? lower.cluster, preset: preset ?? lower.preset, http: http ?? lower.http,
                      httpTokenFile: httpTokenFile ?? lower.httpTokenFile, insecure: insecure ?? lower.insecure,
                      logFormat: logFormat ?? lower.logFormat, logLevel: logLevel ?? lower.logLevel,
                      membersMax: membersMax ?? lower.membersMax, origins: mergedOrigins(lower))
        merged.profiles = profiles ?? lower.profiles
        return merged
    }

    private func mergedOrigins(_ lower: StartSettings) -> [String: String] { lower.origins.merging(origins) { $1 } }

    /// These settings with `origins` naming, through `name`, every key that has a value.
    func naming(_ name: (String) -> String) -> StartSettings {
        var named = self
        let present: [(String, Bool)] = [
            ("name", self.name != nil), ("bind", bind != nil), ("advertise", advertise != nil), ("join", join != nil),
            ("data", data != nil), ("keyFile", keyFile != nil), ("cluster", cluster != nil), ("preset", preset != nil),
            ("http", http != nil), ("httpTokenFile", httpTokenFile != nil), ("insecure", insecure != nil),
            ("logFormat", logFormat != nil), ("logLevel", logLevel != nil), ("membersMax", membersMax != nil),
        ]
        for (key, isPresent) in present where isPresent { named.origins[key] = name(key) }
        return named
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
            membersMax: arguments.value("members-max")).naming(flag)
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
            membersMax: value("MESH_MEMBERS_MAX")).naming(variable)
    }

    /// From the JSON config file at `path` holding `text`. Unknown keys and wrong types are errors
    /// that name the line and column; relative file paths in it are taken relative to the file's directory.
    static func fromConfigFile(_ text: String, path: String) throws(UsageError) -> StartSettings {
        let document: JSONDocument
        do {
            document = try JSONDocument(parsing: text)
        } catch {
            throw UsageError("config \(path): not valid JSON: \(error.description)")
        }
        let json = document.root
        /// `config PATH: 'key' MESSAGE at line L, column C`.
        func mistake(_ key: String, _ message: String) -> UsageError {
            UsageError("config \(path): '\(key)' \(message) at \(document.location(of: "." + key))")
        }
        guard let fields = json.object else {
            throw UsageError("config \(path): must be one JSON object (line 1, column 1)")
        }
        for (key, _) in fields where !fileKeys.contains(key) {
            throw UsageError("config \(path): unknown key '\(key)' (known keys: \(fileKeys.joined(separator: ", "))) "
                             + "at \(document.location(of: "." + key))")
        }
        func string(_ key: String) throws(UsageError) -> String? {
            guard let raw = json[key] else { return nil }
            guard let text = raw.string else { throw mistake(key, "must be a string") }
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
                throw mistake("join", "must be a list of \"HOST:PORT\" strings")
            }
            join = list.compactMap(\.string)
        }
        var insecure: Bool?
        if let raw = json["insecure"] {
            guard let flag = raw.bool else { throw mistake("insecure", "must be true or false") }
            insecure = flag
        }
        var membersMax: String?
        if let raw = json["membersMax"] {
            guard let count = raw.integer else { throw mistake("membersMax", "must be a whole number") }
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
            membersMax: membersMax, profiles: profiles).naming { "'\($0)' in config \(path) (\(document.location(of: "." + $0)))" }
    }
}
