/// The counters of a resumed session a server has taken: the highest, and which of the
/// `width` below it. A counter is fresh when it is above the highest or in the window and not
/// taken; anything older than the window is refused (the client then makes a new session).
struct ReplayWindow: Sendable, Equatable {
    /// Counters below the highest that are remembered.
    static let width: UInt64 = 64
    private(set) var highest: UInt64 = 0
    /// Bit `i`: counter `highest - i` was taken. Counter 0 is never valid.
    private var taken: UInt64 = 1

    /// True when `counter` has not been taken and is not too old to tell.
    func isFresh(_ counter: UInt64) -> Bool {
        if counter > highest { return true }
        let age = highest - counter
        return age < Self.width && taken & (1 << age) == 0
    }

    /// Takes `counter` (call only when `isFresh`).
    mutating func take(_ counter: UInt64) {
        if counter > highest {
            let shift = counter - highest
            taken = shift >= Self.width ? 0 : taken << shift
            highest = counter
            taken |= 1
        } else {
            taken |= 1 << (highest - counter)
        }
    }
}

/// Resumable sessions of task streams (`StreamCodec`): a client's, one per server address, and a
/// server's, one per client session id. Both are bounded; the least recently used goes first
/// (its peer then falls back to a full stream). Eviction follows a use counter, never a
/// dictionary's order, so it is deterministic.
struct StreamSessions: Sendable {
    /// Sessions kept on each side.
    static let sessionsMax = 64

    struct Client: Sendable {
        var session: Bytes
        var serverNonce: Bytes
        /// The counter of the next resumed stream.
        var next: UInt64 = 1
        var lastUsed: UInt64
    }

    struct Server: Sendable {
        var serverNonce: Bytes
        /// The member that made the session; a resumed stream must be from it.
        var sender: String
        var window = ReplayWindow()
        var lastUsed: UInt64
    }

    private(set) var clients: [Address: Client] = [:]
    private(set) var servers: [Bytes: Server] = [:]
    private var uses: UInt64 = 0

    /// The session, serverNonce and counter of a new resumed stream to `peer`, if a session exists.
    mutating func nextStream(to peer: Address) -> (session: Bytes, serverNonce: Bytes, counter: UInt64)? {
        guard var client = clients[peer], client.next < UInt64.max else { return nil }
        uses &+= 1
        let counter = client.next
        client.next &+= 1
        client.lastUsed = uses
        clients[peer] = client
        return (client.session, client.serverNonce, counter)
    }

    /// A full stream to `peer` completed: its nonces make a session, unless one exists.
    mutating func clientCompleted(to peer: Address, session: Bytes, serverNonce: Bytes) {
        guard clients[peer] == nil else { return }
        if clients.count >= Self.sessionsMax, let oldest = clients.min(by: { $0.value.lastUsed < $1.value.lastUsed })?.key {
            clients[oldest] = nil
        }
        uses &+= 1
        clients[peer] = Client(session: session, serverNonce: serverNonce, lastUsed: uses)
    }

    /// `peer` refused a resumed stream of `session`: forget it (unless a newer one replaced it).
    mutating func clientRefused(by peer: Address, session: Bytes) {
        if clients[peer]?.session == session { clients[peer] = nil }
    }

    /// A full stream's request from `sender` verified: its nonces make a session.
    mutating func serverCompleted(session: Bytes, serverNonce: Bytes, sender: String) {
        guard servers[session] == nil else { return }
        if servers.count >= Self.sessionsMax, let oldest = servers.min(by: { $0.value.lastUsed < $1.value.lastUsed })?.key {
            servers[oldest] = nil
        }
        uses &+= 1
        servers[session] = Server(serverNonce: serverNonce, sender: sender, lastUsed: uses)
    }

    /// The server nonce of `session` when `counter` is fresh in it.
    func serverNonce(session: Bytes, counter: UInt64) -> Bytes? {
        guard let server = servers[session], server.window.isFresh(counter) else { return nil }
        return server.serverNonce
    }

    /// Takes `counter` of `session` for a verified request from `sender`; false when it was taken
    /// already (a replay), the session is gone, or another member sent it.
    mutating func take(session: Bytes, counter: UInt64, sender: String) -> Bool {
        guard var server = servers[session], server.sender == sender, server.window.isFresh(counter) else { return false }
        uses &+= 1
        server.window.take(counter)
        server.lastUsed = uses
        servers[session] = server
        return true
    }
}
