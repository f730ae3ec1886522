import MeshCore

/// Membership settings a scenario overrides.
extension Scenario {
    static func applyOverrides(_ o: JSONReader, to s: inout MembershipSettings) throws {
        let ms: [(String, WritableKeyPath<MembershipSettings, Nanoseconds>)] = [
            ("probeIntervalMs", \.probeInterval), ("probeTimeoutMs", \.probeTimeout),
            ("probeDeadlineMs", \.probeDeadline), ("gossipIntervalMs", \.gossipInterval),
            ("pushPullIntervalMs", \.pushPullInterval), ("reconnectIntervalMs", \.reconnectInterval),
            ("deadRetentionMs", \.deadRetention), ("gossipToTheDeadMs", \.gossipToTheDead)]
        let ints: [(String, WritableKeyPath<MembershipSettings, Int>)] = [
            ("indirectChecks", \.indirectChecks), ("gossipFanout", \.gossipFanout),
            ("retransmitMultiplier", \.retransmitMultiplier), ("suspicionConfirmationsExpected", \.suspicionConfirmationsExpected),
            ("healthMultiplierMax", \.healthMultiplierMax)]
        let doubles: [(String, WritableKeyPath<MembershipSettings, Double>)] = [
            ("suspicionMultiplier", \.suspicionMultiplier), ("suspicionMaxMultiplier", \.suspicionMaxMultiplier)]
        let bools: [(String, WritableKeyPath<MembershipSettings, Bool>)] = [
            ("retryDirectPing", \.retryDirectPing), ("confirmationProbes", \.confirmationProbes)]
        try o.rejectUnknown(ms.map(\.0) + ints.map(\.0) + doubles.map(\.0) + bools.map(\.0))
        for (key, path) in ms where o.has(key) {
            s[keyPath: path] = .seconds(fraction: try o.double(key, range: 0...10_000_000) / 1000)
        }
        for (key, path) in ints where o.has(key) { s[keyPath: path] = try o.int(key, range: 0...1_000) }
        for (key, path) in doubles where o.has(key) { s[keyPath: path] = try o.double(key, range: 0...1_000) }
        for (key, path) in bools where o.has(key) { s[keyPath: path] = try o.bool(key, default: false) }
    }
}
