@testable import MeshCore
import Testing

extension TaskCluster {
    /// Carries out what node `i` asked for.
    func apply(_ i: Int, _ directives: [Directive]) {
        let life = lives[i]
        for directive in directives {
            switch directive {
            case .send(let bytes, let to):
                guard let j = index(of: to), !blocked.contains([i, j]) else { continue }
                push(.milliseconds(1), .datagram(to: j, from: addresses[i], bytes))
            case .setTimer(let timer, let at):
                seq += 1
                queue.append((max(at, now), seq, .input(node: i, life: life, .timer(timer))))
            case .openStream(let stream, let to):
                guard let j = index(of: to) else { continue }
                push(.milliseconds(1), .connect(from: i, stream: stream, to: j, life: life))
            case .writeStream(let stream, let bytes):
                push(.milliseconds(2), .write(from: i, stream: stream, bytes, life: life))
            case .closeStream(let stream):
                push(.milliseconds(2), .close(from: i, stream: stream, life: life))
            case .append(let record):
                disks[i].records.append(record)
                disks[i].appendedEver.append(record)
            case .sync:
                let upTo = disks[i].position
                if holdSyncs.contains(i) { heldSyncs[i, default: []].append(upTo) } else { completeSync(i, upTo: upTo, life: life) }
            case .compactLog(let snapshot):
                let base = disks[i].position
                disks[i].records = snapshot
                disks[i].offset = Int(base) - snapshot.count
                disks[i].durable = snapshot.count
                disks[i].compactions += 1
                if holdCompactions.contains(i) {
                    heldCompactions[i, default: []].append(base)
                } else {
                    push(.milliseconds(1), .input(node: i, life: life, .logCompacted(upTo: base)))
                }
            case .persistIncarnation, .event:
                break
            case .fetchFiles(let fetch):
                fetches.append((i, fetch))
                let failure = failingFetches.contains(i) ? "no member has the blob" : nil
                push(.milliseconds(3), .input(node: i, life: life, .filesFetched(fetch.id, failure: failure)))
            case .startAgent(let run):
                running[i, default: []].append(run)
                started.append((i, run))
            case .stopAgent(let run, _):
                stopped.append((i, run))
                if let index = running[i]?.firstIndex(where: { $0.run == run }) {
                    running[i]!.remove(at: index)
                    push(.milliseconds(5), .input(node: i, life: life, .agentExited(run, .signalled(9))))
                }
            case .reply(let request, let reply):
                replies[request.value] = reply
                replyOrder.append((request.value, syncsCompleted[i]))
            }
        }
    }

    func completeSync(_ i: Int, upTo: LogPosition, life: Int) {
        push(.milliseconds(1), .input(node: i, life: life, .logSynced(upTo: upTo)))
        disks[i].durable = max(disks[i].durable, Int(upTo) - disks[i].offset)
    }

    /// Lets node `i`'s held `logCompacted` inputs arrive.
    func releaseCompactions(_ i: Int) {
        holdCompactions.remove(i)
        for base in heldCompactions.removeValue(forKey: i) ?? [] {
            push(.milliseconds(1), .input(node: i, life: lives[i], .logCompacted(upTo: base)))
        }
    }

    /// Lets node `i`'s held syncs complete.
    func releaseSyncs(_ i: Int) {
        holdSyncs.remove(i)
        for upTo in heldSyncs.removeValue(forKey: i) ?? [] { completeSync(i, upTo: upTo, life: lives[i]) }
    }
}

extension TaskCluster {
    /// Bytes from `from`'s end of a stream reach the other end.
    func write(from: Int, stream: StreamID, _ bytes: Bytes, life: Int) {
        guard lives[from] == life, let (peer, peerStream) = ends["\(from)/\(stream)"], nodes[peer] != nil else { return }
        if cut.contains([from, peer]) {
            ends["\(from)/\(stream)"] = nil
            ends["\(peer)/\(peerStream)"] = nil
            return apply(peer, nodes[peer]!.handle(.streamFailed(peerStream), at: moment))
        }
        apply(peer, nodes[peer]!.handle(.streamData(peerStream, bytes), at: moment))
    }

    /// `from` closed its end: the other end hears it.
    func close(from: Int, stream: StreamID, life: Int) {
        guard lives[from] == life, let (peer, peerStream) = ends.removeValue(forKey: "\(from)/\(stream)") else { return }
        ends["\(peer)/\(peerStream)"] = nil
        guard nodes[peer] != nil else { return }
        apply(peer, nodes[peer]!.handle(.streamClosed(peerStream), at: moment))
    }

    /// Node `i` crashes: unsynced records are lost, its streams fail at their other ends, its
    /// agents die with it.
    func crash(_ i: Int) {
        nodes[i] = nil
        lives[i] += 1
        disks[i].records = Array(disks[i].records.prefix(disks[i].durable))
        running[i] = []
        heldSyncs[i] = nil
        heldCompactions[i] = nil
        for key in ends.keys.sorted() where key.hasPrefix("\(i)/") {
            let (peer, peerStream) = ends.removeValue(forKey: key)!
            ends["\(peer)/\(peerStream)"] = nil
            push(.milliseconds(1), .input(node: peer, life: lives[peer], .streamFailed(peerStream)))
        }
    }

    func restart(_ i: Int) { boot(i) }

    /// Submits `spec` through node `i`; returns the request number (its reply lands in `replies`).
    @discardableResult
    func submit(_ spec: TaskSpec, via i: Int) -> UInt64 { control(.submitTask(spec), via: i) }

    @discardableResult
    func control(_ request: ControlRequest, via i: Int) -> UInt64 {
        nextRequest += 1
        apply(i, nodes[i]!.handle(.control(RequestID(nextRequest), request), at: moment))
        return nextRequest
    }

    /// Ends node `i`'s agent run `run` with `exit`.
    func exitAgent(_ i: Int, _ run: RunID, _ exit: AgentExit = .exited(0), _ outputs: AgentOutputs = AgentOutputs()) {
        running[i]?.removeAll { $0.run == run }
        apply(i, nodes[i]!.handle(.agentExited(run, exit, outputs), at: moment))
    }

    /// The accepted task of request `request`, if it was accepted.
    func acceptance(_ request: UInt64) -> TaskAcceptance? {
        if case .taskAccepted(let acceptance)? = replies[request] { return acceptance }
        return nil
    }

    /// The node holding `id` as owner, if any.
    func owner(of id: TaskID) -> Int? {
        nodes.indices.first { nodes[$0]?.tasks.records[id]?.progress.owner == names[$0] && nodes[$0]?.tasks.owned[id] != nil }
    }

    func record(_ id: TaskID, at i: Int) -> TaskRecord? { nodes[i]?.tasks.records[id] }

    /// Every distinct terminal event of `id` in the nodes' synced logs (the one that counts, or more
    /// when the task was finished twice).
    func syncedTerminalEvents(of id: TaskID) -> [TaskEvent] {
        var events: [TaskEvent] = []
        for disk in disks {
            for record in disk.records.prefix(disk.durable) {
                guard let entry = (try? TaskLogEntry(record)) ?? nil else { continue }
                var found: [TaskEvent] = []
                switch entry {
                case .created(let task) where task.id == id: found = task.history
                case .progressed(let task, _, let event?) where task == id: found = [event]
                default: break
                }
                for event in found where !events.contains(event) {
                    if case .task(let state) = event.state, state.isTerminal { events.append(event) }
                }
            }
        }
        return events
    }

    /// Expects `id` to have ended once in the synced logs, in `state`.
    func expectEndedOnce(_ id: TaskID, in state: TaskState, sourceLocation: SourceLocation = #_sourceLocation) {
        let terminal = syncedTerminalEvents(of: id)
        #expect(terminal.count == 1, "terminal events: \(terminal)", sourceLocation: sourceLocation)
        #expect(terminal.first?.state == .task(state), sourceLocation: sourceLocation)
    }

    /// Takes node `i`'s first agent run out of `running`, so the harness does not end it once
    /// stopped: the test decides when it exits.
    func holdRun(on i: Int) -> AgentRun {
        let run = running[i]!.first!
        running[i] = []
        return run
    }

    /// The first node that is neither `owner` nor `replica` (an entry that holds no copy).
    func entry(awayFrom owner: Int, _ replica: Int) -> Int {
        nodes.indices.first { $0 != owner && $0 != replica }!
    }

    /// Expects the answer to `request` to be `taskCancelled`, with the copy on `replica` cancelled too.
    func expectCancelled(_ request: UInt64, _ id: TaskID, onReplica replica: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        guard case .taskCancelled(let answered)? = replies[request] else {
            Issue.record("answered \(String(describing: replies[request]))", sourceLocation: sourceLocation); return
        }
        #expect(answered.state == .cancelled && record(id, at: replica)?.state == .cancelled, sourceLocation: sourceLocation)
    }

    /// Ends every agent run still going with exit 0.
    func exitAllAgents() {
        for i in running.keys.sorted() where nodes[i] != nil {
            for run in running[i] ?? [] { exitAgent(i, run.run) }
        }
    }

    /// Runs `seconds` seconds, one at a time, ending every agent run still going (exit 0) after each.
    func runEndingAgents(seconds: Int) {
        for _ in 0..<seconds {
            run(for: .seconds(1))
            exitAllAgents()
        }
    }
}
