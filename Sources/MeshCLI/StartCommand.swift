import Glibc
import MeshCore
import MeshRuntime

extension MeshCommandLine {
    static let startCommand = Command(
        name: "start", summary: "run a mesh node in the foreground (systemd runs it; it never daemonizes)",
        usage: "start [--name NAME] [--bind ADDR:PORT] [--join HOST:PORT ...] [--data DIR] [--key-file FILE] [options]",
        options: [
            .value("config", "FILE", "JSON config; keys are the flag names in camelCase (env MESH_CONFIG)"),
            .value("name", "NAME", "stable node name (default: the one in --data, else the host name)"),
            .value("bind", "ADDR:PORT", "gossip UDP and stream TCP address (default \(StartPlan.defaultBind))"),
            .value("advertise", "ADDR:PORT", "address other nodes reach this one at (default: --bind)"),
            .repeated("join", "HOST:PORT", "seed to join through; repeatable; DNS names allowed; retried with backoff"),
            .value("data", "DIR", "data directory: keeps the name and last incarnation across restarts"),
            .value("key-file", "FILE", "cluster key file (mesh keygen); without one the mesh is unauthenticated"),
            .value("cluster", "LABEL", "cluster label: meshes with different labels never merge"),
            .value("preset", "P", "membership timing: adaptive (default: measures its links), lan, wan, local, memberlist, memberlist-wan"),
            .value("http", "ADDR:PORT", "control API address, or off (default \(StartPlan.defaultHTTP))"),
            .value("http-token-file", "FILE", "token the control API requires (needed off loopback)"),
            .flag("insecure", "allow a non-loopback --bind without a key"),
            .value("log-format", "F", "text (default) or json"),
            .value("log-level", "L", "debug, info (default), warn or error"),
            .value("members-max", "N", "members this node keeps at most; more are dropped and counted (default 16384)"),
            .flag("exit-with-parent", "leave when the starting process exits (demo, bench, tests)"),
        ]) { arguments in
        guard arguments.positionals.isEmpty else {
            throw UsageError("start takes no arguments (got '\(arguments.positionals[0])'); see mesh start --help")
        }
        let plan = try StartPlan.resolve(arguments: arguments, environment: Text.environment()) {
            try Files.readText($0)
        }
        let options = try prepareNode(plan, exitsWithParent: arguments.has("exit-with-parent"))
        let shell: NodeShell
        do throws(NodeShell.StartError) {
            shell = try NodeShell(options: options)
        } catch {
            printError(error.description)
            return 1
        }
        return shell.run()
    }

    /// Reads the key and token files, opens the data directory, settles the name and resolves seeds.
    /// A mistake in flags, config or files throws `UsageError` (exit 2: restarting will not fix it);
    /// a data directory that cannot be used now (locked by a running node, unwritable) throws
    /// `RuntimeFailure` (exit 1, like a taken port: systemd may try again).
    static func prepareNode(_ plan: StartPlan, exitsWithParent: Bool) throws -> NodeOptions {
        let logger = Logger(level: plan.logLevel, format: plan.logFormat)
        var keyring: Keyring?
        if let path = plan.keyFile {
            keyring = try readKeyring(path, origin: plan.origin("keyFile"))
        } else {
            printError("warning: no --key-file: this mesh is unauthenticated (anyone who reaches \(plan.bind) can join); see mesh keygen")
        }
        if plan.isInsecure && keyring == nil && !plan.bind.isLoopback {
            printError("warning: --insecure: listening on \(plan.bind) without authentication")
        }
        var token: String?
        if let path = plan.httpTokenFile {
            let text: String
            do {
                text = try Files.readText(path, bytesMax: 4096)
            } catch {
                throw UsageError("cannot read \(plan.origin("httpTokenFile")) \(path): \(error.reason)")
            }
            let trimmed = Text.trimmed(text)
            guard !trimmed.isEmpty, !trimmed.contains(where: { $0.isWhitespace }) else {
                throw UsageError("\(plan.origin("httpTokenFile")) \(path) must hold one token on one line")
            }
            token = trimmed
        }
        var directory: DataDirectory?
        if let path = plan.data {
            do {
                directory = try DataDirectory(path: path)
            } catch {
                throw RuntimeFailure(description: error.description)
            }
        }
        let stored = directory?.stored?.name
        if let given = plan.name, let stored, given != stored {
            throw UsageError("data directory \(plan.data!) belongs to node '\(stored)', not '\(given)'; drop --name or use another --data")
        }
        let name = plan.name ?? stored ?? defaultNodeName()
        if let problem = StartPlan.nameProblem(name) { throw UsageError("node name: \(problem); give --name") }
        let seeds = resolveSeeds(plan.join, logger: logger)
        var settings = MembershipSettings.preset(plan.preset)
        settings.membersMax = plan.membersMax
        var options = NodeOptions(name: name, bind: plan.bind, advertise: plan.advertise, seeds: seeds, keyring: keyring,
                                  cluster: plan.cluster, settings: settings,
                                  presetName: plan.preset.rawValue, http: plan.http, httpToken: token,
                                  dataDirectory: directory, logger: logger, exitsWithParent: exitsWithParent,
                                  profiles: plan.profiles, tags: plan.tags, keyFile: plan.keyFile)
        if let bytes = plan.attachmentBytesMax { options.attachmentBytesMax = bytes }
        if let bytes = plan.attachmentsTotalBytesMax { options.attachmentsTotalBytesMax = bytes }
        options.workspaces = plan.workspaces
        options.finishedRetention = plan.tasks.finishedRetention
        options.logCompactionFloor = plan.tasks.logCompactionFloor
        return options
    }

    /// The node cannot run now, though nothing the operator typed is wrong: one line, exit status 1.
    struct RuntimeFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// The keyring in `path`, or a one-line error. A key file that group or others may read (or
    /// write) is refused: whoever reads the key can join the mesh and forge any member's messages.
    static func readKeyring(_ path: String, origin: String = "--key-file") throws(UsageError) -> Keyring {
        let text: String
        do {
            text = try Files.readText(path, bytesMax: 64 * 1024)
        } catch {
            throw UsageError("cannot read \(origin) \(path): \(error.reason)")
        }
        let keys: [MeshKey]
        do {
            keys = try KeyFile.parse(text)
        } catch {
            throw UsageError("key file \(path): \(error.description)")
        }
        if let mode = Files.permissions(path), mode & 0o077 != 0 {
            throw UsageError("key file \(path) is open to group or others (mode \(String(mode, radix: 8))): run chmod 600 \(path)")
        }
        return Keyring(keys: keys)
    }

    /// Resolves every seed; while none resolves (DNS not up yet), retries with backoff up to 30 s apart.
    static func resolveSeeds(_ entries: [String], logger: Logger) -> [Address] {
        guard !entries.isEmpty else { return [] }
        var delay: UInt32 = 1
        while true {
            var seeds: [Address] = []
            for entry in entries {
                do {
                    for address in try Resolver.resolve(entry) where !seeds.contains(address) { seeds.append(address) }
                } catch {
                    logger.warn("seed does not resolve", ["join": entry, "reason": error.description])
                }
            }
            if !seeds.isEmpty { return seeds }
            logger.warn("no seed resolves yet: retrying", ["seconds": String(delay)])
            Glibc.sleep(delay)
            delay = min(30, delay * 2)
        }
    }

    /// The host name, made into a valid node name.
    static func defaultNodeName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count - 1)
        let host = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let cleaned = String(host.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "-_.".unicodeScalars.contains(scalar))
                ? Character(scalar) : "-"
        }.prefix(WireLimits.nameBytesMax))
        return cleaned.isEmpty ? "node" : cleaned
    }
}
