import Dispatch
import MeshCore

/// The control API's routes: `GET /v1/status`, `GET /v1/health`, `POST /v1/leave`, and the task
/// routes (`NodeShell+TaskAPI`).
extension NodeShell {
    /// Answers a control API request: at once, or when the core replies to what it asked.
    func handleControl(_ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void) {
        if request.method == "POST" && request.path == "/v1/leave" {
            control(.leave) { [self] reply in
                switch reply {
                case .accepted:
                    respond(.json(.object([("leaving", .string(options.name))]), status: 202))
                    exitAfterLeaving()
                case .refused(let reason):
                    respond(.error(409, reason))
                default:
                    respond(.error(500, "unexpected reply to leave: \(reply)"))
                }
            }
            return
        }
        if handleTaskEvents(request, respond: respond) { return }
        if handleStatusEvents(request, respond: respond) { return }
        if handleWebPage(request, respond: respond) { return }
        if handleEvidenceRoute(request, respond: respond) { return }
        if handleAPIv1(request, respond: respond) { return }
        if handleCancelRoute(request, respond: respond) { return }
        if handleTaskRoute(request, respond: respond) { return }
        if handleA2ARoute(request, respond: respond) { return }
        if handleOperator(request, respond: respond) { return }
        respond(handleControl(request))
    }

    /// Hands a control request to the core; `respond` gets its reply, however many inputs later.
    /// Returns the request's id (nil when refused at once), under which `pendingReplies` holds it.
    @discardableResult
    func control(_ request: ControlRequest, respond: @escaping (ControlReply) -> Void) -> RequestID? {
        guard exitStatus == nil else {
            respond(.refused("the node is stopping"))
            return nil
        }
        nextRequest += 1
        let id = RequestID(nextRequest)
        pendingReplies[id] = respond
        input(.control(id, request))
        return pendingReplies[id] == nil ? nil : id
    }

    func handleControl(_ request: HTTPRequest) -> HTTPResponse {
        switch (request.method, request.path) {
        case ("GET", "/v1/status"):
            return .json(statusReport().json)
        case ("GET", "/v1/health"):
            return .json(healthReport().json)
        case ("GET", "/v1/place"):
            return PlaceRoute.answer(query: request.query, membership: core.membership)
        case (_, "/v1/status"), (_, "/v1/health"), (_, "/v1/leave"), (_, "/v1/place"):
            var response = HTTPResponse.error(405, "\(request.method) is not allowed on \(request.path)")
            response.headers.append(("Allow", request.path == "/v1/leave" ? "POST" : "GET"))
            return response
        default:
            return .error(404, "no such endpoint: \(Text.printableLine(String(request.path.prefix(200)))) (every endpoint is described at /v1/openapi.json)")
        }
    }

    /// Every member this node knows, itself first.
    func statusReport() -> StatusReport {
        let now = SystemClock.now()
        func seconds(since instant: Instant) -> Double { (Double(now - instant) / 1e6).rounded() / 1e3 }
        var reports = [MemberReport(name: core.name, address: core.address.description,
                                    state: core.selfMember.status.description, incarnation: core.incarnation,
                                    lastHeardSecondsAgo: 0, rttMilliseconds: 0,
                                    stateChangedSecondsAgo: seconds(since: startedAt), isSelf: true)]
        reports[0].capacity = core.capacity.entry(core.name).map { CapacityReport($0, ageSeconds: seconds(since: $0.receivedAt)) }
        reports[0].keyFingerprint = MemberMeta.keyFingerprint(in: core.meta)
        let others = core.members.members.sorted { $0.name < $1.name }
        for member in others {
            // The smoothed round trip the failure detector uses (SRTT), else the last one measured.
            let last = member.roundTripMicroseconds >= 0 ? Double(member.roundTripMicroseconds) / 1_000 : nil
            let rtt = core.membership.roundTrip(of: member.name).map { Double($0.smoothed / 1_000) / 1_000 } ?? last
            reports.append(MemberReport(
                name: member.name, address: member.address.description, state: member.status.description,
                incarnation: member.incarnation,
                lastHeardSecondsAgo: member.lastHeardAt == .zero ? nil : seconds(since: member.lastHeardAt),
                rttMilliseconds: rtt, stateChangedSecondsAgo: seconds(since: member.statusChangedAt), isSelf: false))
            reports[reports.count - 1].capacity = core.capacity.entry(member.name).map {
                CapacityReport($0, ageSeconds: seconds(since: $0.receivedAt))
            }
            reports[reports.count - 1].keyFingerprint = MemberMeta.keyFingerprint(in: member.meta)
        }
        let drops = allDrops.filter { $0.value > 0 }
        var report = StatusReport(selfName: core.name, incarnation: core.incarnation, members: reports, drops: drops)
        report.hasJoined = core.hasJoined
        report.lastJoinFailure = core.hasJoined ? nil : lastJoinFailure
        return report
    }

    /// Drop counters, uptime, health score and the shell's counters.
    func healthReport() -> HealthReport {
        var states: [String: UInt64] = [:]
        for status in MemberStatus.allCases { states[status.description] = 0 }
        states[core.selfMember.status.description, default: 0] += 1
        for member in core.members.members { states[member.status.description, default: 0] += 1 }
        var counterValues: [String: UInt64] = [
            "datagramsSent": counters.datagramsSent, "datagramsReceived": counters.datagramsReceived,
            "datagramBytesSent": counters.datagramBytesSent, "datagramBytesReceived": counters.datagramBytesReceived,
            "sendFailures": counters.sendFailures, "streamsOpened": core.streamStats.opened,
            "streamsFailed": core.streamStats.failed, "streamsAccepted": streams.counters.accepted,
            "streamsRefused": streams.counters.refusedTotal + streams.counters.refusedPerSource + core.streamStats.refused,
            "streamsRefusedPerSource": streams.counters.refusedPerSource, "streamsIncomplete": core.streamStats.timedOut,
            "streamsResumed": core.streamStats.resumed, "streamsResumeRefused": core.streamStats.resumeRefused,
            "streamsResumeRefusedHere": core.streamStats.resumeRefusedHere,
            "controlRequestsRejected": control?.rejected ?? 0,
            "streamBytesSent": streams.counters.bytesSent, "streamBytesReceived": streams.counters.bytesReceived,
        ]
        let tasks = core.tasks.stats
        for (name, value) in [("tasksAccepted", tasks.accepted), ("tasksForwarded", tasks.forwarded), ("tasksForwardedAgain", tasks.forwardedAgain),
                              ("tasksRefused", tasks.refused), ("tasksDuplicates", tasks.duplicates),
                              ("tasksAttemptsStarted", tasks.attemptsStarted), ("tasksAttemptsLost", tasks.attemptsLost),
                              ("tasksStaleResults", tasks.staleResults), ("tasksTakeovers", tasks.takeovers),
                              ("tasksHandovers", tasks.handovers), ("tasksReplicasReplaced", tasks.replicasReplaced),
                              ("tasksFenced", tasks.fenced), ("tasksBadMessages", tasks.badMessages),
                              ("tasksLogCompactions", tasks.compactions), ("tasksForgotten", tasks.tasksForgotten),
                              ("tasksCopiesAdopted", tasks.copiesAdopted), ("tasksTakeoverMarksCleared", tasks.takeoverMarksCleared)] {
            counterValues[name] = value
        }
        let links = streams.linkCounters
        for (name, value) in [("linksOpened", links.opened), ("linksAccepted", links.accepted),
                              ("linkStreams", links.streamsCarried), ("linkStreamsRefused", links.streamsRefused)] {
            counterValues[name] = value
        }
        for reason in LinkDrop.allCases { counterValues[reason.counterName] = links.drops[reason] ?? 0 }
        let syncs = logCommitter.syncTimings
        for (name, value) in submitTiming.counters("timingSubmit") + syncs.fsync.counters("timingFsync")
            + syncs.wait.counters("timingSyncWait") + links.exchanges.counters("timingLinkExchange") {
            counterValues[name] = value
        }
        for (name, value) in a2aCounters.named { counterValues[name] = value }
        for reason in ControlRejection.allCases {
            counterValues[reason.counterName] = control?.rejections[reason] ?? 0
        }
        var report = HealthReport(selfName: core.name, incarnation: core.incarnation,
                                  uptimeSeconds: Double(SystemClock.now() - startedAt) / 1e9,
                                  healthScore: core.health.score, hasJoined: core.hasJoined, isLeaving: core.isLeaving,
                                  members: states, drops: allDrops, datagramDrops: core.drops.dictionary(includingZeros: true),
                                  streamDrops: streamDrops, counters: counterValues,
                                  timeouts: HealthReport.timeouts(core.membership.timeoutsInForce))
        report.lastJoinFailure = core.hasJoined ? nil : lastJoinFailure
        return report
    }

    /// Stream frames rejected on either side of an exchange, by reason.
    var streamDrops: [String: UInt64] {
        core.streamDrops.dictionary(includingZeros: true)
    }

    /// Datagram and stream drops together, by reason.
    var allDrops: [String: UInt64] {
        DropCounters.sum([core.drops, core.streamDrops])
    }
}
