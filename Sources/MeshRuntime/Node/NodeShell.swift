import Dispatch
import Glibc
import MeshCore

/// The real shell around one `NodeInstance` (ARCHITECTURE §2): UDP and TCP sockets, one Dispatch
/// timer for all the core's timers, the data directory, the control API and signals.
///
/// Concurrency: one serial queue owns the instance and every socket, timer and connection. Every
/// input (datagram, stream, timer, control request, signal) is handled on that queue, and the
/// directives it returns are carried out there, in order, before the next input. That is why the
/// class is `@unchecked Sendable`: Dispatch hands it `@Sendable` closures, but its state is only
/// ever touched on `queue`.
public final class NodeShell: @unchecked Sendable {
    /// Why a node could not start; one line for the operator.
    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Counters of the shell, reported by `/v1/health`.
    struct Counters {
        var datagramsSent: UInt64 = 0
        var datagramsReceived: UInt64 = 0
        var datagramBytesSent: UInt64 = 0
        var datagramBytesReceived: UInt64 = 0
        var sendFailures: UInt64 = 0
        /// Suspicions this node raised (its probe of a member failed).
        var suspicionsRaised: UInt64 = 0
        /// Members seen going from suspect back to alive (a suspicion refuted).
        var suspicionsRefuted: UInt64 = 0
        /// Suspicions of this node that it refuted itself.
        var selfRefutations: UInt64 = 0
    }

    public let options: NodeOptions
    let queue = DispatchQueue(label: "mesh.node")
    var core: NodeInstance
    var logger: Logger { options.logger }

    let udp: Int32
    var udpSource: DispatchSourceRead?
    let streams: StreamTransport
    var control: ControlServer?
    var timers = TimerQueue()
    var timerSource: DispatchSourceTimer?
    var armedDeadline: Instant?
    var signalSources: [DispatchSourceSignal] = []
    var parentWatch: DispatchSourceTimer?
    /// Feeds the core a measurement of the machine every `loadSampleInterval`.
    var loadWatch: DispatchSourceTimer?
    /// Prunes finished task workspaces every `WorkspaceRetention.interval`.
    var workspaceWatch: DispatchSourceTimer?
    /// How often the machine's load is measured for the capacity record.
    static let loadSampleInterval = DispatchTimeInterval.seconds(1)
    var counters = Counters()
    /// The last failed join attempt while the node has not joined (for `/v1/health` and `/v1/status`).
    var lastJoinFailure: String?
    /// The write-ahead log in the data directory (`<data>/log`, none without a data directory),
    /// with group commit.
    let logCommitter: LogCommitter
    /// Runs agents for `startAgent`; nil without a data directory (no workspace to run them in).
    var agents: AgentRunner?
    /// Attachment blobs, logs and artifacts between nodes; nil without a data directory.
    var data: DataPlane?
    /// Control requests waiting for the core's `reply`, by id.
    var pendingReplies: [RequestID: (ControlReply) -> Void] = [:]
    /// Task requests waiting for the core, oldest first, with when they get `503` (monotonic).
    var taskDeadlines = FIFO<(request: RequestID, due: Int64)>()
    /// `POST /v1/tasks` handled here: from the parsed request to the response.
    var submitTiming = Timing()
    var nextRequest: UInt64 = 0
    /// Events for `mesh monitor` and its waiting long polls.
    var operatorState = OperatorState()
    /// What the A2A edge answered and refused.
    var a2aCounters = A2ACounters()
    /// The live task feed's streams and what it has pushed (`GET /v1/tasks/events`).
    var taskFeed = TaskFeed()
    /// The live member feed's streams (`GET /v1/status/events`).
    var statusFeed = StatusFeed()
    /// Histograms and byte counters for `/metrics` (`NodeShell+Metrics`).
    var apiMetrics = APIMetrics()
    let startedAt = SystemClock.now()
    let receiveBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 8)

    /// Set once the node is on its way out; the process exits with this status.
    var exitStatus: Int32?
    private let finished = DispatchSemaphore(value: 0)

    /// The control API's address (with the real port when `--http` asked for port 0).
    public var controlEndpoint: SocketEndpoint? { control?.endpoint }

    /// Binds every socket; a taken port or a bad address fails here, before anything runs.
    public init(options: NodeOptions) throws(StartError) {
        self.options = options
        let lastIncarnation = options.dataDirectory?.stored?.incarnation ?? 0
        if let directory = options.dataDirectory {
            // Before recovering: a previous life that crashed may have left agent groups running.
            let killed = AgentRunner.killLeftovers(dataPath: directory.path)
            if killed > 0 { options.logger.warn("killed agent process groups a previous life left running", ["groups": String(killed)]) }
        }
        let (log, recovered) = try Self.openLog(options)
        var config = NodeConfig(name: options.name, address: options.advertise, seeds: options.seeds,
                                settings: options.settings, keyring: options.keyring, label: options.cluster,
                                randomSeed: SecureRandom.seed(), lastIncarnation: lastIncarnation,
                                meta: MemberMeta.advertising(options.keyring), recoveredLog: recovered)
        config.capacity = LocalCapacity(profiles: options.profiles.map(\.advertised), tags: options.tags)
        config.taskIDSalt = try Self.taskIDSalt(options)
        for profile in options.profiles { config.taskSettings.cancelGraces[profile.name] = profile.cancelGrace }
        config.taskSettings.finishedRetention = options.finishedRetention
        config.taskSettings.logCompactionFloor = options.logCompactionFloor
        if let problem = config.validationError() { throw StartError(description: problem) }
        core = NodeInstance(config: config)
        let queue = self.queue
        // The handler needs `self`, which does not exist yet: route through a box filled in below.
        let box = HandlerBox()
        logCommitter = LogCommitter(log: log) { input in queue.async { box.shell?.input(input) } }
        if let directory = options.dataDirectory {
            agents = AgentRunner(dataPath: directory.path, profiles: options.profiles, settings: options.workspaces) { input in
                queue.async { box.shell?.input(input) }
            }
        }
        if let directory = options.dataDirectory {
            do {
                data = try DataPlane(dataPath: directory.path, name: options.name, keyring: options.keyring,
                                     labelHash: core.streamLabelHash, bind: options.bind.isUnspecified ? nil : options.bind,
                                     attachmentBytesMax: options.attachmentBytesMax,
                                     attachmentsTotalBytesMax: options.attachmentsTotalBytesMax)
            } catch {
                throw StartError(description: "cannot prepare \(directory.path)/blobs: \(error.reason)")
            }
        }
        logCommitter.onFailure = { [logger = options.logger] error in
            logger.error("write-ahead log failed", ["error": error.description])
        }
        do {
            streams = try StreamTransport(bind: options.bind, perSourceMax: options.streamConnectionsPerSourceMax,
                                          connectionsMax: options.streamConnectionsMax, queue: queue) { input in
                box.shell?.input(input)
            }
            streams.deliverBatch = { batch in box.shell?.inputs(batch) }
        } catch {
            throw StartError(description: "cannot listen on \(options.bind) (TCP): \(error.reason)")
        }
        do {
            udp = try Sockets.datagramSocket(boundTo: options.bind)
        } catch {
            closeDescriptor(streams.fd)
            throw StartError(description: "cannot bind \(options.bind) (UDP): \(error.reason)")
        }
        if let endpoint = options.http {
            do {
                control = try ControlServer(endpoint: endpoint, token: options.httpToken, queue: queue,
                                            deferring: { request, respond in
                    guard let shell = box.shell else { return respond(HTTPResponse.error(503, "starting")) }
                    shell.handleControl(request, respond: respond)
                })
            } catch {
                closeDescriptor(streams.fd)
                closeDescriptor(udp)
                throw StartError(description: "cannot listen on \(endpoint) (control API): \(error.reason)")
            }
        }
        if let data { streams.dataHandoff = { fd, peer in data.serve(fd: fd, peer: peer) } }
        control?.uploadHandler = { request, length, respond in
            guard let shell = box.shell else { respond(HTTPResponse.error(503, "starting")); return nil }
            return shell.attachmentUpload(request, length: length, respond: respond)
        }
        box.shell = self
    }

    deinit { receiveBuffer.deallocate() }

    /// Opens and recovers the write-ahead log in the data directory (none without one).
    private static func openLog(_ options: NodeOptions) throws(StartError) -> (WriteAheadLog?, RecoveredLog) {
        guard let directory = options.dataDirectory else { return (nil, RecoveredLog()) }
        do {
            let (log, recovery) = try WriteAheadLog.open(path: directory.path + "/log")
            if recovery.cutTail != nil {
                options.logger.warn("write-ahead log: cut a torn tail on recovery", ["bytes": String(recovery.bytesCut)])
            }
            return (log, RecoveredLog(records: recovery.records, position: recovery.position))
        } catch {
            throw StartError(description: "cannot open the write-ahead log in \(directory.path): \(error)")
        }
    }

    /// The data directory's task-id salt (made at its first start); without a directory, a fresh
    /// one for this life (its ids live only as long as the process anyway).
    private static func taskIDSalt(_ options: NodeOptions) throws(StartError) -> Bytes {
        guard let directory = options.dataDirectory else { return SecureRandom.bytes(DataDirectory.taskIDSaltBytes) }
        do { return try directory.taskIDSalt() } catch { throw StartError(description: error.description) }
    }

    /// Starts the node and blocks until it has left (signal, `POST /v1/leave`, parent gone) or
    /// stopped on an error. Returns the process exit status.
    public func run() -> Int32 {
        queue.async { [self] in start() }
        finished.wait()
        return exitStatus ?? 0
    }

    /// Starts watching sockets, signals and timers, then starts the core. On `queue`.
    func start() {
        Glibc.signal(SIGPIPE, SIG_IGN)
        for number in [SIGINT, SIGTERM] {
            Glibc.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [self] in
                if exitStatus != nil || core.isLeaving {
                    logger.info("second signal: exiting now")
                    stop(status: 0)
                } else {
                    logger.info("signal received: leaving", ["signal": number == SIGINT ? "SIGINT" : "SIGTERM"])
                    leave()
                }
            }
            source.resume()
            signalSources.append(source)
        }
        startReceiving()
        streams.start()
        control?.start()
        if options.exitsWithParent { watchParent() }
        logger.info("node starting", [
            "name": options.name, "address": options.advertise.description, "bind": options.bind.description,
            "preset": options.presetName, "seeds": options.seeds.map(\.description).joined(separator: ","),
            "http": options.http?.description ?? "off",
            "authenticated": options.keyring == nil ? "no" : "yes",
        ])
        input(.start)
        watchLoad()
        watchWorkspaces()
        if exitStatus == nil {
            logger.info("node started", ["name": options.name, "incarnation": String(core.incarnation)])
        }
    }

    /// Leaves gracefully: announce `left`, keep running for the grace period, exit 0.
    func leave() {
        guard exitStatus == nil, !core.isLeaving else { return }
        input(.leave)
        exitAfterLeaving()
    }

    /// Lets the `left` announcement get out for the grace period, then exits 0.
    func exitAfterLeaving() {
        queue.asyncAfter(deadline: .now() + .nanoseconds(Int(options.leaveGracePeriod))) { [self] in
            logger.info("left the mesh", ["name": options.name])
            stop(status: 0)
        }
    }

    /// Stops everything and lets `run()` return `status`.
    func stop(status: Int32) {
        guard exitStatus == nil else { return }
        exitStatus = status
        timerSource?.cancel()
        udpSource?.cancel()
        parentWatch?.cancel()
        loadWatch?.cancel()
        workspaceWatch?.cancel()
        streams.stop()
        control?.stop()
        for source in signalSources { source.cancel() }
        finished.signal()
    }

    /// Refuses to run on: logs one clear line and exits non-zero without announcing anything.
    func fail(_ message: String) {
        guard exitStatus == nil else { return }
        logger.error(message)
        if logger.format == .json { printLine("mesh: \(message)") }
        stop(status: 1)
    }

    /// Measures the machine now and every second after, and hands each measurement to the core.
    private func watchLoad() {
        let sampler = LoadSampler(directory: options.dataDirectory?.path ?? ".")
        input(.localLoad(sampler.sample()))
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + Self.loadSampleInterval, repeating: Self.loadSampleInterval,
                       leeway: .milliseconds(100))
        timer.setEventHandler { [self] in input(.localLoad(sampler.sample())) }
        loadWatch = timer
        timer.resume()
    }

    /// Checks every second whether the process that started this one is gone; leaves if so.
    private func watchParent() {
        let parent = getppid()
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + .seconds(1), repeating: .seconds(1), leeway: .milliseconds(200))
        timer.setEventHandler { [self] in
            if getppid() != parent {
                logger.info("parent process gone: leaving")
                leave()
            }
        }
        parentWatch = timer
        timer.resume()
    }
}

/// Lets closures made during `init` reach the shell once it exists. Written once, on init's thread,
/// before any queue work starts; read only on the node queue afterwards.
private final class HandlerBox: @unchecked Sendable {
    weak var shell: NodeShell?
}

/// One line to standard error.
func printLine(_ text: String) {
    var bytes = Array((text + "\n").utf8)
    _ = bytes.withUnsafeMutableBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
