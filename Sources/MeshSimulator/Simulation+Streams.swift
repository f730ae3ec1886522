@_spi(Simulation) import MeshCore

/// One simulated TCP connection between two nodes' streams.
///
/// The model: connecting takes one round trip; bytes in each direction are serialized at the
/// link's bandwidth (so a big transfer takes longer) and then take one link delay; a partition
/// stalls a connection (bytes sent across it are lost, and the core's deadline ends the stream, as a
/// client timeout would); a crash resets it (the other end hears of it one link delay later, unless
/// the link is cut); a closed end lets the other end read the bytes in flight, then the close.
struct SimConnection {
    struct End {
        var node: Int
        var life: Int
        var stream: StreamID
    }
    var client: End
    var server: End?
    /// Bytes the client wrote before the server accepted.
    var pendingToServer: [Bytes] = []
    /// When each direction's link is free again (bandwidth serialization).
    var freeToServerAt: Int64 = 0
    var freeToClientAt: Int64 = 0
    /// When the last delivery in each direction arrives: TCP keeps order, so nothing overtakes it.
    var lastArrivalToServerAt: Int64 = 0
    var lastArrivalToClientAt: Int64 = 0

    /// The arrival time of the next delivery in one direction, never before the previous one.
    mutating func arrival(_ at: Int64, toServer: Bool) -> Int64 {
        if toServer {
            lastArrivalToServerAt = max(lastArrivalToServerAt, at)
            return lastArrivalToServerAt
        }
        lastArrivalToClientAt = max(lastArrivalToClientAt, at)
        return lastArrivalToClientAt
    }
    var isClientClosed = false
    var isServerClosed = false
}

extension Simulation {
    func connectionKey(_ node: Int, _ stream: StreamID) -> UInt64 {
        UInt64(node) << 48 | (stream.isInbound ? 1 << 47 : 0) | stream.value & 0x7FFF_FFFF_FFFF
    }

    // MARK: Directives

    func openStream(_ stream: StreamID, from node: Int, to: Address) {
        notify { $0.streamOpened(node: node, world: self) }
        nextConnection += 1
        let id = nextConnection
        connections[id] = SimConnection(client: .init(node: node, life: nodes[node].life, stream: stream))
        connectionByEnd[connectionKey(node, stream)] = id
        guard let destination = indexByAddress[to] else {
            queue.push(now + linkDelay(), .streamEnd(connection: id, toServer: false, failed: true))
            return
        }
        if isBlocked(node, destination) { return }   // the connect is lost; the core's deadline ends it
        queue.push(now + 2 * linkDelay(node, destination) + scenario.link(from: node, to: destination).streamConnectOverhead, .streamConnect(connection: id, server: destination))
    }

    func writeStream(_ stream: StreamID, from node: Int, _ bytes: Bytes) {
        guard let id = connectionByEnd[connectionKey(node, stream)], var c = connections[id] else { return }
        notify { $0.streamBytesSent(bytes.count, node: node, world: self) }
        let toServer = c.client.node == node && c.client.stream == stream
        if toServer && c.server == nil {
            c.pendingToServer.append(bytes)
            connections[id] = c
            return
        }
        transmit(bytes, on: id, toServer: toServer)
    }

    func closeStream(_ stream: StreamID, from node: Int) {
        guard let id = connectionByEnd.removeValue(forKey: connectionKey(node, stream)), var c = connections[id] else { return }
        let toServer = c.client.node == node && c.client.stream == stream
        if toServer { c.isClientClosed = true } else { c.isServerClosed = true }
        connections[id] = c
        if c.server == nil {
            connections.removeValue(forKey: id)   // never accepted: nothing reaches anyone
            return
        }
        if reapIfDone(id) { return }
        let freeAt = toServer ? c.freeToServerAt : c.freeToClientAt
        let peer = toServer ? c.server?.node ?? -1 : c.client.node
        let at = c.arrival(max(now, freeAt) + linkDelay(node, peer), toServer: toServer)
        connections[id] = c
        queue.push(at, .streamEnd(connection: id, toServer: toServer, failed: false))
    }

    private func transmit(_ bytes: Bytes, on id: Int, toServer: Bool) {
        guard var c = connections[id], let server = c.server else { return }
        let (from, to) = toServer ? (c.client.node, server.node) : (server.node, c.client.node)
        if isBlocked(from, to) { return }   // lost: the stream stalls until a deadline ends it
        let serialization = Int64(bytes.count) * 1_000_000_000 / max(1, scenario.link(from: from, to: to).streamBytesPerSecond)
        let start = max(now, toServer ? c.freeToServerAt : c.freeToClientAt)
        if toServer { c.freeToServerAt = start + serialization } else { c.freeToClientAt = start + serialization }
        let at = c.arrival(start + serialization + linkDelay(from, to), toServer: toServer)
        connections[id] = c
        queue.push(at, .streamBytes(connection: id, toServer: toServer, bytes: bytes))
    }

    // MARK: Events

    func streamConnectArrived(_ id: Int, server node: Int) {
        guard var c = connections[id] else { return }
        guard nodes[node].instance != nil else {
            // Nobody listens: a reset comes back.
            queue.push(now + linkDelay(node, c.client.node), .streamEnd(connection: id, toServer: false, failed: true))
            return
        }
        if deferIfPaused(node, .streamConnect(connection: id, server: node)) { return }
        nodes[node].nextInbound += 1
        let stream = StreamID.inbound(nodes[node].nextInbound)
        c.server = .init(node: node, life: nodes[node].life, stream: stream)
        let pending = c.pendingToServer
        c.pendingToServer = []
        connections[id] = c
        connectionByEnd[connectionKey(node, stream)] = id
        trace.mix(UInt64(now)); trace.mix(node); trace.mix(6)
        apply(node, nodes[node].instance!.handle(.streamAccepted(stream, from: nodes[c.client.node].address), at: moment))
        for bytes in pending { transmit(bytes, on: id, toServer: true) }
        if c.isClientClosed, var current = connections[id] {
            let at = current.arrival(max(now, current.freeToServerAt) + linkDelay(c.client.node, node), toServer: true)
            connections[id] = current
            queue.push(at, .streamEnd(connection: id, toServer: true, failed: false))
        }
    }

    func streamBytesArrived(_ id: Int, toServer: Bool, _ bytes: Bytes) {
        guard let c = connections[id], let end = toServer ? c.server : c.client else { return }
        guard nodes[end.node].life == end.life, nodes[end.node].instance != nil else { return }
        if deferIfPaused(end.node, .streamBytes(connection: id, toServer: toServer, bytes: bytes)) { return }
        if toServer ? c.isServerClosed : c.isClientClosed { return }
        trace.mix(UInt64(now)); trace.mix(end.node); trace.mix(bytes)
        apply(end.node, nodes[end.node].instance!.handle(.streamData(end.stream, bytes), at: moment))
    }

    func streamEndArrived(_ id: Int, toServer: Bool, failed: Bool) {
        guard let c = connections[id], let end = toServer ? c.server : c.client else { return }
        defer { reapIfDone(id) }
        guard nodes[end.node].life == end.life, nodes[end.node].instance != nil else { return }
        if toServer ? c.isServerClosed : c.isClientClosed { return }
        if deferIfPaused(end.node, .streamEnd(connection: id, toServer: toServer, failed: failed)) { return }
        connectionByEnd.removeValue(forKey: connectionKey(end.node, end.stream))
        // A connection no server accepted (nobody listened, no such address) carried nothing: the
        // runtime reports it as never connected, and so does the simulator.
        let notConnected = failed && !toServer && c.server == nil
        trace.mix(UInt64(now)); trace.mix(end.node); trace.mix(notConnected ? 9 : failed ? 8 : 7)
        let input: Input = notConnected ? .streamNotConnected(end.stream) : failed ? .streamFailed(end.stream) : .streamClosed(end.stream)
        apply(end.node, nodes[end.node].instance!.handle(input, at: moment))
    }

    /// Forgets a connection both of whose ends are closed or gone with a crash.
    @discardableResult
    func reapIfDone(_ id: Int) -> Bool {
        guard let c = connections[id] else { return true }
        let clientGone = c.isClientClosed || nodes[c.client.node].life != c.client.life
        let serverGone = c.server.map { c.isServerClosed || nodes[$0.node].life != $0.life } ?? true
        guard clientGone && serverGone else { return false }
        connections.removeValue(forKey: id)
        return true
    }

    /// A crashed node's connections reset: each other end hears it one link delay later, unless the
    /// link is cut (then its own deadline ends the stream).
    func resetStreams(of victim: Int) {
        for id in connections.keys.sorted() {
            guard let c = connections[id] else { continue }
            if c.client.node == victim, let server = c.server, !c.isServerClosed, !isBlocked(victim, server.node) {
                queue.push(now + linkDelay(victim, server.node), .streamEnd(connection: id, toServer: true, failed: true))
            } else if c.server?.node == victim, !c.isClientClosed, !isBlocked(victim, c.client.node) {
                queue.push(now + linkDelay(victim, c.client.node), .streamEnd(connection: id, toServer: false, failed: true))
            }
            reapIfDone(id)
        }
    }
}
