import MeshCore

/// What a node asks its shell for, carried out in the simulated world in the order given. Every
/// directive is mixed into the trace hash.
extension Simulation {
    func apply(_ node: Int, _ directives: [Directive]) {
        for directive in directives {
            switch directive {
            case .send(let bytes, let to):
                trace.mix(1); trace.mix(node); trace.mix(UInt64(to.ipv4) << 16 | UInt64(to.port)); trace.mix(bytes)
                send(bytes, from: node, to: to)
            case .setTimer(let timer, let at):
                trace.mix(2); trace.mix(node); mixTimer(timer); trace.mix(UInt64(at.nanoseconds))
                queue.push(max(now, at.nanoseconds), .timer(node: node, life: nodes[node].life, timer))
            case .openStream(let stream, let to):
                trace.mix(3); trace.mix(node); trace.mix(stream.value)
                openStream(stream, from: node, to: to)
            case .writeStream(let stream, let bytes):
                trace.mix(20); trace.mix(node); trace.mix(stream.value); trace.mix(bytes)
                writeStream(stream, from: node, bytes)
            case .closeStream(let stream):
                trace.mix(21); trace.mix(node); trace.mix(stream.value)
                closeStream(stream, from: node)
            case .append(let record):
                appendFromCore(record, node: node)
            case .sync:
                syncFromCore(node)
            case .compactLog(let records):
                compactFromCore(records, node: node)
            case .startAgent(let run):
                startFakeAgent(run, node: node)
            case .stopAgent(let run, let signal):
                stopFakeAgent(run, signal, node: node)
            case .fetchFiles(let fetch):
                // Simulated tasks carry no attachments; a fetch would find no blob anywhere.
                trace.mix(41); trace.mix(node); trace.mix(fetch.id)
                apply(node, nodes[node].instance!.handle(.filesFetched(fetch.id, failure: "the simulator holds no blobs"), at: moment))
            case .reply(let request, let reply):
                controlReplied(request, reply, node: node)
            case .persistIncarnation(let incarnation):
                trace.mix(4); trace.mix(node); trace.mix(incarnation)
                persist(incarnation, at: node)
            case .event(let event):
                trace.mix(5); trace.mix(node)
                observe(event, at: node)
            }
        }
    }

    func mixTimer(_ timer: TimerID) {
        trace.mix(timer.generation)
        switch timer.purpose {
        case .streamDeadline(let stream): trace.mix(9); trace.mix(stream.value)
        case .tasks(.tick): trace.mix(40)
        case .membership(let purpose):
            switch purpose {
            case .probe: trace.mix(10)
            case .probeTimeout(let s): trace.mix(11); trace.mix(UInt64(s))
            case .probeDeadline(let s): trace.mix(12); trace.mix(UInt64(s))
            case .relayTimeout(let s): trace.mix(13); trace.mix(UInt64(s))
            case .gossip: trace.mix(14)
            case .pushPull: trace.mix(15)
            case .reconnect: trace.mix(16)
            case .join: trace.mix(17)
            case .suspicion(let name): trace.mix(18); trace.mix(name)
            case .reap: trace.mix(19)
            case .capacity: trace.mix(20)
            }
        }
    }
}
