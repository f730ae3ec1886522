/// Routing between the node and its task machine: inputs in, effects out as directives.
extension NodeInstance {
    /// Feeds one input to the task machine (with the members as it needs them).
    mutating func handleTasks(_ input: Input) {
        tasks.now = now
        tasks.wallMilliseconds = wallMilliseconds
        switch input {
        case .start: tasks.start(peers: taskPeers())
        case .logSynced(let upTo): tasks.logSynced(upTo: upTo, peers: taskPeers())
        case .logCompacted(let upTo): tasks.logCompacted(upTo: upTo, peers: taskPeers())
        case .diskFailed(let failure): tasks.diskFailed(failure)
        case .agentExited(let run, let exit, let outputs): tasks.agentExited(run, exit, outputs, peers: taskPeers())
        case .leave: tasks.leave(peers: taskPeers())
        default: break
        }
    }

    /// A control request for the task layer.
    mutating func taskControl(_ command: ControlRequest, request: RequestID) {
        tasks.now = now
        tasks.wallMilliseconds = wallMilliseconds
        switch command {
        case .submitTask(let spec): tasks.submit(spec, request: request, peers: taskPeers())
        case .task(let id): tasks.query(.task(id), request: request, peers: taskPeers())
        case .tasks(let filter): tasks.query(.list(filter), request: request, peers: taskPeers())
        case .cancelTask(let id): tasks.cancel(id, request: request, peers: taskPeers())
        case .leave: tasks.leave(peers: taskPeers())
        default: break
        }
    }

    /// A member went down: takeovers and replica replacements need not wait for the next tick.
    mutating func taskMemberWentDown() {
        guard tasks.hasWork else { return }
        tasks.now = now
        tasks.wallMilliseconds = wallMilliseconds
        tasks.memberWentDown(peers: taskPeers())
    }

    mutating func taskTimerFired(_ timer: TaskTimer) {
        tasks.now = now
        tasks.wallMilliseconds = wallMilliseconds
        switch timer {
        case .tick: tasks.tick(peers: taskPeers())
        }
    }

    /// A task request on an inbound stream.
    mutating func taskRequestArrived(_ payload: Bytes, from sender: String, on stream: StreamID) {
        tasks.now = now
        tasks.wallMilliseconds = wallMilliseconds
        let message: TaskMessage
        do { message = try TaskMessage.decode(payload) } catch {
            streamDrops.count(.malformed)
            tasks.stats.badMessages &+= 1
            return answerTaskRequest(stream, nil)
        }
        let peers = taskPeers()
        switch message {
        case .submit(let id, let spec, let hops) where hops <= tasks.settings.hopsMax:
            if parkForFiles(.submit(id, spec, hops: hops, stream: stream), sender: sender) { return }
            tasks.submitArrived(id, spec, hops: hops, stream: stream, peers: peers)
        case .store(let record, let handover):
            if parkForFiles(.store(record, handover: handover, from: sender, stream: stream), sender: sender) { return }
            tasks.storeArrived(record, handover: handover, from: sender, stream: stream, peers: peers)
        case .renew: tasks.renewArrived(from: sender, stream: stream)
        case .release(let id, let epoch): tasks.releaseArrived(id, epoch: epoch, from: sender, stream: stream)
        case .query(let target): answerTaskRequest(stream, tasks.localAnswer(target).encoded())
        case .cancel(let id): tasks.cancelArrived(id, stream: stream, peers: peers)
        default:
            streamDrops.count(.malformed)
            tasks.stats.badMessages &+= 1
            answerTaskRequest(stream, nil)
        }
    }

    /// The reply to one of the task machine's exchanges.
    mutating func taskExchangeReplied(_ exchange: UInt64, _ payload: Bytes) {
        let message = try? TaskMessage.decode(payload)
        if message == nil { streamDrops.count(.malformed); tasks.stats.badMessages &+= 1 }
        taskExchangeEnded(exchange, message)
    }

    mutating func taskExchangeFailed(_ exchange: UInt64, _ failure: ExchangeFailure) {
        taskExchangeEnded(exchange, nil, requestSent: failure.mayHaveSentRequest)
    }

    private mutating func taskExchangeEnded(_ exchange: UInt64, _ message: TaskMessage?, requestSent: Bool = true) {
        tasks.now = now
        tasks.wallMilliseconds = wallMilliseconds
        guard let purpose = tasks.exchanges.removeValue(forKey: exchange) else { return }
        switch purpose {
        case .forward(let forward): tasks.forwardAnswered(forward, message, requestSent: requestSent, peers: taskPeers())
        case .store(let id, let replica, let count, let handover):
            tasks.storeAnswered(id, replica: replica, eventCount: count, handover: handover, message,
                                requestSent: requestSent, peers: taskPeers())
        case .renew(let replica, let sentAt): tasks.renewAnswered(replica: replica, sentAt: sentAt, message, peers: taskPeers())
        case .query(let key): tasks.queryAnswered(key, message)
        case .verify(let id, let peer): tasks.verifyAnswered(id, from: peer, message, peers: taskPeers())
        case .release(let id, let replica): tasks.releaseAnswered(id, replica: replica, message)
        case .push(let id, _): tasks.pushAnswered(id, message, peers: taskPeers())
        case .cancel(let key): tasks.cancelAnswered(key, message, requestSent: requestSent, peers: taskPeers())
        }
    }

    /// Turns the task machine's effects into directives, in order; a changed task load becomes
    /// the next capacity version (rate-limited by capacity gossip).
    mutating func gatherTasks() {
        if membership.capacity.setTaskLoad(busy: tasks.busy, queueLength: tasks.localAssigned &- tasks.runs.count) {
            membership.scheduleCapacityVersion()
            gatherMembership()
        }
        for effect in tasks.take() {
            switch effect {
            case .exchange(let exchange, let peer, let payload): openExchange(exchange, to: peer, request: payload, machine: .tasks)
            case .answer(let stream, let bytes): answerTaskRequest(stream, bytes)
            case .append(let record): emit(.append(record))
            case .sync: emit(.sync)
            case .compactLog(let records): emit(.compactLog(records))
            case .setTimer(let timer, let at): setTimer(.tasks(timer), at: at)
            case .startAgent(let run): emit(.startAgent(run))
            case .stopAgent(let run, let signal): emit(.stopAgent(run, signal))
            case .reply(let request, let reply): emit(.reply(to: request, reply))
            }
        }
    }
}
