import MeshCore
import MeshRuntime

/// `mesh start`'s settings after precedence (flags > `MESH_*` > config file > defaults) and
/// validation, before any key is read or socket bound. Every mistake is a one-line `UsageError`.
struct StartPlan: Equatable {
    static let defaultBind = "127.0.0.1:7946"
    static let defaultHTTP = "127.0.0.1:7947"

    var name: String?
    var bind: Address
    var advertise: Address?
    var join: [String]
    var data: String?
    var keyFile: String?
    var cluster: String
    var preset: MembershipSettings.Preset
    /// nil: no control API (`--http off`).
    var http: SocketEndpoint?
    var httpTokenFile: String?
    var isInsecure: Bool
    var logFormat: LogFormat
    var logLevel: LogLevel
    /// Members this node keeps at most (new ones past it are dropped and counted).
    var membersMax: Int
    /// Where each value came from (`StartSettings.origins`), for errors found after validation.
    var origins: [String: String] = [:]

    /// How an error names the source of `key`'s value (`--key-file`, `MESH_KEY_FILE`, a config line).
    func origin(_ key: String) -> String { origins[key] ?? StartSettings.flag(key) }
    /// The range `--members-max` accepts: enough for a few nodes, and a bound on memory.
    static let membersMaxRange = 16...1_000_000
    /// Agent profiles (with their local commands) and node tags from the config file.
    var profiles: [AgentProfile] = []
    var tags: [String] = []
    /// Attachment limits from the config file (nil: the defaults).
    var attachmentBytesMax: UInt64?
    var attachmentsTotalBytesMax: UInt64?
    /// Task workspace settings from the config file's `"workspaces"`.
    var workspaces = WorkspaceSettings()
    /// Task settings from the config file's `"tasks"`: `finishedRetention`, `logCompactionFloor`.
    var tasks = TaskSettings()

    /// Layers the sources and validates the result. `readFile` reads the config file.
    static func resolve(arguments: ParsedArguments, environment: [String: String],
                        readFile: (String) throws -> String) throws(UsageError) -> StartPlan {
        let flags = StartSettings.fromFlags(arguments)
        let variables = try StartSettings.fromEnvironment(environment)
        var file = StartSettings()
        if let path = arguments.value("config") ?? environment["MESH_CONFIG"].flatMap({ $0.isEmpty ? nil : $0 }) {
            let text: String
            do {
                text = try readFile(path)
            } catch {
                let origin = arguments.value("config") == nil ? " (MESH_CONFIG)" : ""
                throw UsageError("cannot read config \(path)\(origin): \((error as? SystemError)?.reason ?? "\(error)")")
            }
            file = try StartSettings.fromConfigFile(text, path: path)
        }
        return try validate(flags.overriding(variables.overriding(file)))
    }

    /// Checks every value and applies the defaults.
    /// Every error names where the value came from: the flag, the `MESH_*` variable, or the
    /// config file's key with its line and column.
    static func validate(_ settings: StartSettings) throws(UsageError) -> StartPlan {
        let origin = settings.origin
        let bindText = settings.bind ?? defaultBind
        guard let bind = Address(parsing: bindText), bind.port != 0 else {
            throw UsageError("\(origin("bind")) must be IPV4:PORT with a port from 1 to 65535 (got '\(bindText)')")
        }
        var advertise: Address?
        if let text = settings.advertise {
            guard let address = Address(parsing: text), address.port != 0, address.ipv4 != 0 else {
                throw UsageError("\(origin("advertise")) must be IPV4:PORT, the address other nodes reach this one at (got '\(text)')")
            }
            advertise = address
        }
        if bind.ipv4 == 0 && advertise == nil {
            throw UsageError("\(origin("bind")) \(bindText) listens everywhere: also give --advertise IPV4:PORT (the address other nodes reach this one at)")
        }
        let join = settings.join ?? []
        for entry in join {
            do {
                _ = try Resolver.split(entry)
            } catch {
                throw UsageError("\(origin("join")) must be HOST:PORT (got '\(entry)')")
            }
        }
        let presetText = settings.preset ?? MembershipSettings.Preset.standard.rawValue
        guard let preset = MembershipSettings.Preset(rawValue: presetText) else {
            throw UsageError("\(origin("preset")) must be one of \(MembershipSettings.Preset.names) (got '\(presetText)')")
        }
        var http: SocketEndpoint?
        let httpText = settings.http ?? defaultHTTP
        if httpText != "off" {
            guard let endpoint = SocketEndpoint(parsing: httpText), endpoint.port != 0 || httpText.hasSuffix(":0") else {
                throw UsageError("\(origin("http")) must be IPV4:PORT, [IPV6]:PORT or off (got '\(httpText)')")
            }
            http = endpoint
        }
        let formatText = settings.logFormat ?? "text"
        guard let logFormat = LogFormat(rawValue: formatText) else {
            throw UsageError("\(origin("logFormat")) must be text or json (got '\(formatText)')")
        }
        let levelText = settings.logLevel ?? "info"
        guard let logLevel = LogLevel(rawValue: levelText) else {
            throw UsageError("\(origin("logLevel")) must be debug, info, warn or error (got '\(levelText)')")
        }
        let membersMax: Int
        if let text = settings.membersMax {
            guard let count = Int(text), membersMaxRange.contains(count) else {
                throw UsageError("\(origin("membersMax")) must be a whole number from \(membersMaxRange.lowerBound) to \(membersMaxRange.upperBound) (got '\(text)')")
            }
            membersMax = count
        } else {
            membersMax = MembershipSettings.lan.membersMax
        }
        if let name = settings.name, let problem = nameProblem(name) { throw UsageError("\(origin("name")): \(problem)") }
        let cluster = settings.cluster ?? ""
        guard cluster.utf8.count <= WireLimits.labelBytesMax else {
            throw UsageError("\(origin("cluster")) must be at most \(WireLimits.labelBytesMax) bytes")
        }
        let isInsecure = settings.insecure ?? false
        if settings.keyFile == nil && !bind.isLoopback && !isInsecure {
            throw UsageError("refusing to bind \(bindText) (\(origin("bind"))) without a key: anyone who reaches it could join; give --key-file (see mesh keygen) or --insecure")
        }
        if let http, !http.isLoopback, settings.httpTokenFile == nil {
            throw UsageError("\(origin("http")) \(http) is not a loopback address: give --http-token-file so the control API requires a token")
        }
        return StartPlan(name: settings.name, bind: bind, advertise: advertise, join: join, data: settings.data,
                         keyFile: settings.keyFile, cluster: cluster, preset: preset, http: http,
                         httpTokenFile: settings.httpTokenFile, isInsecure: isInsecure, logFormat: logFormat,
                         logLevel: logLevel, membersMax: membersMax, origins: settings.origins,
                         profiles: settings.profiles?.profiles ?? [], tags: settings.profiles?.tags ?? [],
                         attachmentBytesMax: settings.profiles?.attachmentBytesMax,
                         attachmentsTotalBytesMax: settings.profiles?.attachmentsTotalBytesMax,
                         workspaces: settings.profiles?.workspaces ?? WorkspaceSettings(),
                         tasks: settings.profiles?.tasks ?? TaskSettings())
    }

    /// Why `name` cannot be a node name, or nil.
    static func nameProblem(_ name: String) -> String? {
        NodeConfig(name: name, address: Address(ipv4: 0, port: 0), randomSeed: 0).validationError()
    }
}
