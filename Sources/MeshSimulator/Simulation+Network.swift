@_spi(Simulation) import MeshCore

/// The network: one link model for every pair of nodes (delay with uniform jitter, loss,
/// duplication) and partitions between groups of nodes.
extension Simulation {
    /// One-way delay of one datagram or stream step from node `a` to node `b` (the top-level link
    /// when either is -1 or outside every site): `delay ± jitter`, uniform.
    func linkDelay(_ a: Int = -1, _ b: Int = -1) -> Int64 {
        let link = scenario.link(from: a, to: b)
        return link.delay - link.jitter + random.nanoseconds(0, 2 * link.jitter)
    }

    /// True when a partition keeps `from` from reaching `to`.
    func isBlocked(_ from: Int, _ to: Int) -> Bool {
        let a = group[from], b = group[to]
        return a != b && blockedGroups.contains(UInt64(a) << 32 | UInt64(b))
    }

    /// Puts a datagram on the wire: it is counted, then lost, blocked, delayed or duplicated.
    func send(_ datagram: Bytes, from node: Int, to: Address) {
        let bytes = onTheWire(datagram, from: node)
        notify { $0.datagramSent(bytes, node: node, world: self) }
        guard let destination = indexByAddress[to], !isBlocked(node, destination) else { return }
        let link = scenario.link(from: node, to: destination)
        // A `loss` event sets one rate for every link; until then each link keeps its own.
        let lossRate = isLossOverridden || scenario.sites.isEmpty ? loss : link.loss
        if lossRate > 0 && random.unit() < lossRate { return }
        queue.push(now + linkDelay(node, destination), .datagram(to: destination, from: nodes[node].address, bytes: bytes, lagged: false))
        if link.duplicate > 0 && random.unit() < link.duplicate {
            queue.push(now + linkDelay(node, destination), .datagram(to: destination, from: nodes[node].address, bytes: bytes, lagged: false))
        }
    }

    /// A datagram reaches node `to`: dropped if the node is down, held while it is paused, held
    /// back if it is starved and the datagram answers its probe, else handed to the node.
    func deliverDatagram(_ bytes: Bytes, to: Int, from: Address, lagged: Bool) {
        guard nodes[to].instance != nil else { return }
        if deferIfPaused(to, .datagram(to: to, from: from, bytes: bytes, lagged: lagged)) { return }
        if !lagged && lagIfStarved(bytes, to: to, from: from) { return }
        trace.mix(UInt64(now)); trace.mix(to); trace.mix(bytes)
        let directives = nodes[to].instance!.receiveDatagram(bytes, from: from, at: moment)
        apply(to, directives)
    }

    /// Nodes in different groups cannot reach each other; with `oneWay`, only the first group
    /// cannot reach the others.
    func partition(_ groups: [[Int]], oneWay: Bool) {
        for i in group.indices { group[i] = 0 }
        blockedGroups = []
        for (g, members) in groups.enumerated() { for n in members { group[n] = g + 1 } }
        for a in 1...groups.count {
            for b in 1...groups.count where a != b {
                if !oneWay || a == 1 { blockedGroups.insert(UInt64(a) << 32 | UInt64(b)) }
            }
        }
    }

    /// Every node can reach every other again.
    func heal() {
        for i in group.indices { group[i] = 0 }
        blockedGroups = []
    }
}
