import MeshCore
@testable import MeshCLI
import MeshRuntime
import Testing

@Suite("mesh start: flags over MESH_* over the config file")
struct StartPlanTests {
    static func arguments(_ list: [String]) throws -> ParsedArguments {
        try ParsedArguments(list, specs: MeshCommandLine.startCommand.options)
    }

    static func plan(_ flags: [String], environment: [String: String] = [:], file: String? = nil) throws -> StartPlan {
        try StartPlan.resolve(arguments: arguments(flags), environment: environment) { path in
            guard let file else { throw UsageError("no file \(path)") }
            return file
        }
    }

    @Test("defaults")
    func defaults() throws {
        let plan = try Self.plan([])
        #expect(plan.bind == Address(127, 0, 0, 1, port: 7946))
        #expect(plan.http == .ipv4(Address(127, 0, 0, 1, port: 7947)))
        #expect(plan.preset == .adaptive && plan.join.isEmpty && plan.name == nil && !plan.isInsecure)
        #expect(plan.logFormat == .text && plan.logLevel == .info)
    }

    @Test("each source wins over the ones below it, key by key")
    func precedence() throws {
        let file = #"{"name": "from-file", "bind": "127.0.0.3:3", "preset": "wan", "join": ["127.0.0.9:9"], "logLevel": "warn"}"#
        let environment = ["MESH_CONFIG": "/etc/mesh.json", "MESH_BIND": "127.0.0.2:2", "MESH_PRESET": "local",
                           "MESH_JOIN": "127.0.0.7:7, 127.0.0.8:8"]
        let layered = try Self.plan(["--bind", "127.0.0.1:1"], environment: environment, file: file)
        #expect(layered.bind == Address(127, 0, 0, 1, port: 1), "flag over environment over file")
        #expect(layered.preset == .local, "environment over file")
        #expect(layered.join == ["127.0.0.7:7", "127.0.0.8:8"], "a list is replaced whole, not merged")
        #expect(layered.name == "from-file" && layered.logLevel == .warn, "file over defaults")

        let withoutFlag = try Self.plan([], environment: environment, file: file)
        #expect(withoutFlag.bind == Address(127, 0, 0, 2, port: 2))
        let fileOnly = try Self.plan(["--config", "mesh.json"], file: file)
        #expect(fileOnly.bind == Address(127, 0, 0, 3, port: 3) && fileOnly.preset == .wan)
        #expect(fileOnly.join == ["127.0.0.9:9"])
        let flagJoins = try Self.plan(["--join", "a:1", "--join", "b:2"], environment: environment, file: file)
        #expect(flagJoins.join == ["a:1", "b:2"])
    }

    @Test("relative paths in the config file are relative to the file")
    func relativePaths() throws {
        let plan = try Self.plan(["--config", "/etc/mesh/node.json"],
                                 file: #"{"keyFile": "mesh.key", "data": "/var/lib/mesh", "insecure": true}"#)
        #expect(plan.keyFile == "/etc/mesh/mesh.key")
        #expect(plan.data == "/var/lib/mesh")
        #expect(plan.isInsecure)
    }

    @Test("config file mistakes", arguments: [
        (#"{"nmae": "a"}"#, "unknown key 'nmae'"),
        (#"{"join": "127.0.0.1:1"}"#, "'join' must be a list"),
        (#"{"insecure": 1}"#, "'insecure' must be true or false"),
        (#"{"bind": 7946}"#, "'bind' must be a string"),
        (#"["a"]"#, "must be one JSON object"),
        (#"{"name": "#, "not valid JSON"),
    ])
    func fileMistakes(text: String, message: String) throws {
        #expect { try Self.plan(["--config", "x.json"], file: text) } throws: { error in
            "\(error)".contains(message) && "\(error)".contains("line 1, column ")
        }
    }

    @Test("value mistakes", arguments: [
        (["--bind", "127.0.0.1:0"], "--bind must be"),
        (["--bind", "0.0.0.0:7946"], "--advertise"),
        (["--bind", "192.168.1.5:7946"], "without a key"),
        (["--http", "192.168.1.5:7947"], "--http-token-file"),
        (["--advertise", "0.0.0.0:1"], "--advertise must be"),
        (["--log-level", "loud"], "--log-level"),
        (["--cluster", String(repeating: "x", count: 65)], "--cluster"),
        (["--name", ""], "--name"),
        (["--members-max", "15"], "--members-max must be a whole number from 16"),
        (["--members-max", "lots"], "--members-max"),
    ])
    func valueMistakes(flags: [String], message: String) throws {
        #expect { try Self.plan(flags) } throws: { error in "\(error)".contains(message) }
    }

    @Test("an error names where the value came from: the flag, the MESH_* variable, or the config key and its place")
    func errorsNameTheSource() throws {
        #expect { try Self.plan([], environment: ["MESH_BIND": "127.0.0.1"]) } throws: { error in
            "\(error)".hasPrefix("MESH_BIND must be IPV4:PORT")
        }
        #expect { try Self.plan([], environment: ["MESH_LOG_LEVEL": "loud"]) } throws: { error in
            "\(error)".hasPrefix("MESH_LOG_LEVEL must be debug")
        }
        #expect { try Self.plan(["--log-level", "loud"], environment: ["MESH_LOG_LEVEL": "info"]) } throws: { error in
            "\(error)".hasPrefix("--log-level must be debug")
        }
        #expect { try Self.plan(["--config", "x.json"], file: "{\n  \"membersMax\": 3}") } throws: { error in
            "\(error)".hasPrefix("'membersMax' in config x.json (line 2, column 17) must be a whole number from 16")
        }
        #expect { try MeshCommandLine.controlClient(Self.arguments([]), environment: ["MESH_HTTP": "nowhere"]) } throws: { error in
            "\(error)".hasPrefix("MESH_HTTP must be")
        }
        #expect { try Self.plan([], environment: ["MESH_CONFIG": "/nonexistent.json"]) } throws: { error in
            "\(error)".hasPrefix("cannot read config /nonexistent.json (MESH_CONFIG)")
        }
        #expect(StartSettings.variable("httpTokenFile") == "MESH_HTTP_TOKEN_FILE")
        #expect(StartSettings.flag("membersMax") == "--members-max")
    }

    @Test("--members-max sets the table limit; the default is the preset's")
    func membersMax() throws {
        #expect(try Self.plan(["--members-max", "2000"]).membersMax == 2_000)
        #expect(try Self.plan([]).membersMax == MembershipSettings.lan.membersMax)
    }

    @Test("what a key, a token or --insecure make acceptable")
    func acceptable() throws {
        #expect(try Self.plan(["--bind", "192.168.1.5:7946", "--key-file", "k"]).keyFile == "k")
        #expect(try Self.plan(["--bind", "192.168.1.5:7946", "--insecure"]).isInsecure)
        #expect(try Self.plan(["--bind", "0.0.0.0:7946", "--advertise", "192.168.1.5:7946", "--key-file", "k"]).advertise
                == Address(192, 168, 1, 5, port: 7946))
        #expect(try Self.plan(["--http", "192.168.1.5:7947", "--http-token-file", "t"]).httpTokenFile == "t")
        #expect(try Self.plan(["--http", "off"]).http == nil)
        #expect(try Self.plan(["--http", "[::1]:7947"]).http?.isLoopback == true)
        #expect(throws: UsageError.self) { try Self.plan([], environment: ["MESH_INSECURE": "maybe"]) }
    }
}

@Suite("mesh status table")
struct StatusTableTests {
    @Test("rows, columns and the summary line")
    func render() {
        let report = StatusReport(selfName: "a", incarnation: 3, members: [
            MemberReport(name: "a", address: "127.0.0.1:7946", state: "alive", incarnation: 3, lastHeardSecondsAgo: 0,
                         rttMilliseconds: 0, stateChangedSecondsAgo: 10, isSelf: true),
            MemberReport(name: "bravo", address: "127.0.0.2:7946", state: "dead", incarnation: 1, lastHeardSecondsAgo: 4.25,
                         rttMilliseconds: 0.5, stateChangedSecondsAgo: 1, isSelf: false),
            MemberReport(name: "c", address: "127.0.0.3:7946", state: "alive", incarnation: 2, lastHeardSecondsAgo: nil,
                         rttMilliseconds: nil, stateChangedSecondsAgo: 1, isSelf: false),
        ], drops: ["badTag": 2])
        let lines = StatusTable.render(report).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0].hasPrefix("NAME") && lines[0].contains("LAST HEARD") && lines[0].hasSuffix("RTT"))
        #expect(lines[1].hasPrefix("a (self)"))
        #expect(lines[2].contains("dead") && lines[2].contains("4.2s ago") && lines[2].hasSuffix("0.50ms"))
        #expect(lines[3].contains("never"))
        #expect(lines.contains("3 members: 2 alive, 1 dead (seen by a, incarnation 3)"))
        #expect(lines.last == "dropped input: badTag=2")
        let column = lines[0].range(of: "STATE")!.lowerBound.utf16Offset(in: lines[0])
        #expect(lines[2].dropFirst(column).hasPrefix("dead"), "columns line up")
    }
}
