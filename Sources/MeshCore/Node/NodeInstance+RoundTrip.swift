/// `roundTrip` questions this node asked other members, by exchange number. Their exchange numbers
/// have the top bit set, so they never meet membership's.
struct PendingRoundTrips: Sendable {
    static let exchangeBase: UInt64 = 1 << 63
    var byExchange: [UInt64: RequestID] = [:]
    var next: UInt64 = 0
}

/// `mesh rtt A B`: the round trip member A measures to member B, from A's own direct probes. This
/// node answers for itself from its table; for another member it asks that member over a stream
/// (`RoundTripQuery`, answered by `RoundTripAnswer`): measurements are never gossiped.
extension NodeInstance {
    mutating func askRoundTrip(via: String, to target: String, request: RequestID) {
        if via == membership.name { return emit(.reply(to: request, .roundTrip(localRoundTrip(target)))) }
        guard let member = membership.members[via], !member.status.isDown else {
            return emit(.reply(to: request, .refused("no live member named '\(via)' (see mesh status)")))
        }
        guard roundTrips.byExchange.count < ControlLimits.roundTripQueriesMax else {
            return emit(.reply(to: request, .refused("\(ControlLimits.roundTripQueriesMax) round-trip questions are under way; try again shortly")))
        }
        roundTrips.next &+= 1
        let exchange = PendingRoundTrips.exchangeBase | roundTrips.next
        roundTrips.byExchange[exchange] = request
        openExchange(exchange, to: member.address, request: MessageCodec.encode(.roundTripQuery(RoundTripQuery(target: target))))
    }

    /// This node's own measurement of `target` (nil values when it has none).
    func localRoundTrip(_ target: String) -> RoundTripAnswer {
        let member = membership.members[target]
        func known(_ value: Int32?) -> Int32? { value.flatMap { $0 >= 0 ? $0 : nil } }
        return RoundTripAnswer(target: target, smoothedMicroseconds: known(member?.roundTripSmoothedMicroseconds),
                               lastMicroseconds: known(member?.roundTripMicroseconds))
    }

    /// The answer to an inbound request that is a `RoundTripQuery`; nil for any other request.
    func answerRoundTripQuery(_ payload: Bytes) -> Bytes? {
        var reader = ByteReader(payload)
        guard case .roundTripQuery(let query)? = try? MessageCodec.decode(from: &reader), reader.isAtEnd else { return nil }
        return MessageCodec.encode(.roundTripAnswer(localRoundTrip(query.target)))
    }

    /// True when `exchange` is a round-trip question of this node's; then its reply is answered.
    mutating func roundTripReplied(_ exchange: UInt64, payload: Bytes) -> Bool {
        guard exchange & PendingRoundTrips.exchangeBase != 0 else { return false }
        guard let request = roundTrips.byExchange.removeValue(forKey: exchange) else { return true }
        var reader = ByteReader(payload)
        if case .roundTripAnswer(let answer)? = try? MessageCodec.decode(from: &reader), reader.isAtEnd {
            emit(.reply(to: request, .roundTrip(answer)))
        } else {
            streamDrops.count(.unexpectedMessage)
            emit(.reply(to: request, .refused("the member's answer could not be read (an older version?)")))
        }
        return true
    }

    /// True when `exchange` is a round-trip question of this node's; then it is answered as failed.
    mutating func roundTripFailed(_ exchange: UInt64, reason: String) -> Bool {
        guard exchange & PendingRoundTrips.exchangeBase != 0 else { return false }
        if let request = roundTrips.byExchange.removeValue(forKey: exchange) {
            emit(.reply(to: request, .refused("the member did not answer: \(reason) (an older version does not know the question)")))
        }
        return true
    }
}
