import MeshCore

/// Which control connections stay open when there are too many (issue 7: 40 slow clients must not
/// lock out `mesh status`). The control server's bookkeeping, kept apart from sockets so it can be
/// tested as a table.
///
/// Every open connection is either *waiting* (its request has not fully arrived) or *ready* (it has,
/// and is being answered). A newcomer past the per-source limit takes the place of the oldest
/// waiting connection from its own source; past the global limit, of the oldest waiting connection
/// from any source. With none waiting, the newcomer is refused.
///
/// Why the oldest: a well-behaved client sends its whole request at once, so the connections still
/// waiting longest are the slow ones, and the newest waiting connection is most likely a good client
/// whose bytes have not been read yet. Evicting the newest would turn each slow client's reconnect
/// into the eviction of the very client the limit is meant to protect. Ready connections are never
/// evicted: their requests are being answered.
struct ControlAdmission {
    /// What to do with a newcomer.
    enum Decision: Equatable {
        /// Let it in, after closing the connection with this id (nil: there is room).
        case admitted(evicting: UInt64?)
        /// No room and nothing to evict: answer 503 and close.
        case refused
    }

    private struct Entry {
        var id: UInt64
        var source: SocketEndpoint?
        var isWaiting: Bool
    }

    /// Connections open at once, in all.
    let connectionsMax: Int
    /// Connections open at once from one source address (any port).
    let connectionsPerSourceMax: Int
    /// Admitted connections, oldest first.
    private var entries: [Entry] = []

    init(connectionsMax: Int, connectionsPerSourceMax: Int) {
        precondition(connectionsMax > 0 && connectionsPerSourceMax > 0,
                     "limits \(connectionsMax), \(connectionsPerSourceMax)")
        self.connectionsMax = connectionsMax
        self.connectionsPerSourceMax = connectionsPerSourceMax
    }

    /// Connections admitted and not yet removed.
    var count: Int { entries.count }

    /// Decides on newcomer `id` from `peer`; `hasRequest` when its whole request is already there.
    /// An admitted newcomer is recorded; an evicted connection is forgotten here, and the caller closes it.
    mutating func admit(_ id: UInt64, from peer: SocketEndpoint?, hasRequest: Bool) -> Decision {
        let source = ControlAdmission.source(of: peer)
        var victim: UInt64?
        if entries.count(where: { $0.source == source }) >= connectionsPerSourceMax {
            guard let index = entries.firstIndex(where: { $0.source == source && $0.isWaiting }) else { return .refused }
            victim = entries.remove(at: index).id
        } else if entries.count >= connectionsMax {
            guard let index = entries.firstIndex(where: \.isWaiting) else { return .refused }
            victim = entries.remove(at: index).id
        }
        entries.append(Entry(id: id, source: source, isWaiting: !hasRequest))
        return .admitted(evicting: victim)
    }

    /// Connection `id`'s whole request has arrived: it is no longer evictable.
    mutating func requestArrived(_ id: UInt64) {
        guard let index = entries.firstIndex(where: { $0.id == id }) else { return }
        entries[index].isWaiting = false
    }

    /// Connection `id` (kept alive) answered its request and waits for the next one: it is
    /// evictable again, as an idle connection should be.
    mutating func awaitingNextRequest(_ id: UInt64) {
        guard let index = entries.firstIndex(where: { $0.id == id }) else { return }
        entries[index].isWaiting = true
    }

    /// True while connection `id` is admitted and its request has not fully arrived.
    func isWaiting(_ id: UInt64) -> Bool {
        entries.first { $0.id == id }?.isWaiting ?? false
    }

    /// Connection `id` closed.
    mutating func remove(_ id: UInt64) {
        entries.removeAll { $0.id == id }
    }

    /// Forgets every connection.
    mutating func removeAll() { entries.removeAll() }

    /// The peer's address without its port: what "one source" means.
    static func source(of peer: SocketEndpoint?) -> SocketEndpoint? {
        switch peer {
        case .ipv4(let address)?: .ipv4(Address(ipv4: address.ipv4, port: 0))
        case .ipv6(let address, _)?: .ipv6(address: address, port: 0)
        case nil: nil
        }
    }
}
