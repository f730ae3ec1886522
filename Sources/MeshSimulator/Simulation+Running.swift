@_spi(Simulation) import MeshCore

extension Simulation {
    /// Runs the scenario to its end and returns the report.
    public func run() -> SimulationReport {
        let clock = ContinuousClock()
        let started = clock.now
        startNodes()
        for (i, entry) in scenario.timeline.enumerated() { queue.push(entry.at, .action(i)) }
        queue.push(scenario.duration, .livenessCheck)
        startTaskWorkload()
        let end = scenario.duration + scenario.convergenceBound
        while let event = queue.pop(), event.time <= end {
            now = event.time
            eventsProcessed += 1
            process(event.kind)
            if convergedAt != nil || convergenceFailed { break }
        }
        let wall = clock.now - started
        let wallSeconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
        return makeReport(wallSeconds: wallSeconds)
    }

    func startNodes() {
        if scenario.convergedStart {
            let states = nodes.map { MemberState(name: $0.name, address: $0.address, incarnation: 1, status: .alive, meta: []) }
            let records = convergedCapacityRecords()
            let phaseMax = convergedCapacityPhaseMax()
            for i in nodes.indices {
                var instance = NodeInstance(config: config(for: i))
                instance.installConverged(states, at: moment)
                if !records.isEmpty {
                    let phase = Instant(nanoseconds: now - random.nanoseconds(0, phaseMax))
                    instance.installConvergedCapacity(records, ownMadeAt: phase, at: moment)
                }
                let directives = instance.start(at: moment)
                nodes[i].instance = instance
                nodes[i].lifeStartIncarnation = 1
                apply(i, directives)
                startDiskWorkload(i)
                startLoadChanges(i)
            }
        } else {
            for i in nodes.indices {
                // Staggered starts within the first second, the way machines really come up.
                queue.push(i == 0 ? 0 : random.nanoseconds(.milliseconds(1), .seconds(1)), .action(-1 - i))
            }
        }
    }

    /// Node `i`'s configuration for its current life: its own generator is seeded from the
    /// scenario's seed, its index and its life.
    func config(for i: Int) -> NodeConfig {
        var seedMixer = SeededGenerator(seed: scenario.seed &+ UInt64(i) &* 0x9E37_79B9 &+ UInt64(nodes[i].life) &* 0x85EB_CA6B)
        var config = NodeConfig(name: nodes[i].name, address: nodes[i].address,
                                seeds: scenario.convergedStart || i == 0 ? [] : [nodes[0].address],
                                settings: scenario.settings, keyring: keyring, label: Simulation.label,
                                randomSeed: seedMixer.next(), lastIncarnation: persistedIncarnation[i],
                                recoveredLog: lastRecovery[i])
        config.capacity = CapacityScenarioSettings.localCapacity(node: i)
        config.taskIDSalt = taskIDSalt(for: i)
        if scenario.layers.contains(.tasks) { config.capacity = LocalCapacity(profiles: scenario.tasks.capacity(of: i)) }
        if let floor = scenario.tasks.logCompactionFloor { config.taskSettings.logCompactionFloor = floor }
        if let growth = scenario.tasks.logCompactionGrowth { config.taskSettings.logCompactionGrowth = growth }
        config.capacitySettings = scenario.capacity.settings
        if !speaksCapacity(i) {
            config.versions = ProtocolRange(minimum: MeshVersion.protocolMinimum, current: MeshVersion.capacityProtocol - 1)
        }
        return config
    }

    /// Node `i`'s task-id salt: what its data directory would hold, fixed by the scenario's seed and
    /// the node's name (the same in every life, as a directory keeps it), so runs stay deterministic.
    func taskIDSalt(for i: Int) -> Bytes {
        var hash = SHA256()
        hash.update(Array("agentmesh/sim/task-id-salt\0".utf8))
        var seed = ByteWriter(capacity: 8)
        seed.u64(scenario.seed)
        hash.update(seed.bytes)
        hash.update(Array(nodes[i].name.utf8))
        return Array(hash.finalize().prefix(16))
    }

    /// False for a node that plays the previous build (scenario key `"previousVersion"`).
    func speaksCapacity(_ i: Int) -> Bool { !scenario.capacity.previousVersionNodes.contains(i) }

    /// Starts node `i`'s life (the first or a restart): it reads its disk back, then runs.
    func bootNode(_ i: Int) {
        recoverDisk(i)
        var instance = NodeInstance(config: config(for: i))
        nodes[i].lifeStartIncarnation = persistedIncarnation[i] + 1
        let directives = instance.start(at: moment)
        nodes[i].instance = instance
        apply(i, directives)
        startDiskWorkload(i)
        startLoadChanges(i)
    }

    func process(_ kind: EventKind) {
        switch kind {
        case .datagram(let to, let from, let bytes, let lagged):
            deliverDatagram(bytes, to: to, from: from, lagged: lagged)
        case .timer(let node, let life, let timer):
            guard nodes[node].life == life, nodes[node].instance != nil else { return }
            if deferIfPaused(node, kind) { return }
            apply(node, nodes[node].instance!.timerFired(timer, at: moment))
        case .streamConnect(let connection, let server):
            streamConnectArrived(connection, server: server)
        case .streamBytes(let connection, let toServer, let bytes):
            streamBytesArrived(connection, toServer: toServer, bytes)
        case .streamEnd(let connection, let toServer, let failed):
            streamEndArrived(connection, toServer: toServer, failed: failed)
        case .diskAppend(let node, let life):
            diskAppendDue(node, life: life)
        case .diskSyncDone(let node, let life, let sync):
            diskSyncDone(node, life: life, sync: sync)
        case .loadChange(let node, let life):
            loadChangeDue(node, life: life)
        case .coreInput(let node, let life, let input):
            guard nodes[node].life == life, nodes[node].instance != nil else { return }
            if deferIfPaused(node, .coreInput(node: node, life: life, input)) { return }
            apply(node, nodes[node].instance!.handle(input, at: moment))
        case .action(let index):
            if index < 0 { bootNode(-1 - index) } else { perform(scenario.timeline[index].action) }
        case .livenessCheck:
            checkLiveness()
        case .resume(let node, let generation):
            resume(node, generation: generation)
        case .taskSubmit:
            submitTask()
        case .taskCancel(let id):
            sendCancel(id)
        case .agentDone(let node, let life, let run, let exit):
            agentDone(node, life: life, run, exit)
        }
    }
}
