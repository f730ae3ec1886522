import MeshCore

extension Array where Element == Int64 {
    /// The q-quantile (0…1) by nearest rank; nil when empty.
    func quantile(_ q: Double) -> Int64? {
        guard !isEmpty else { return nil }
        let sorted = self.sorted()
        let rank = Swift.max(0, Swift.min(sorted.count - 1, Int((q * Double(sorted.count)).rounded(.up)) - 1))
        return sorted[rank]
    }

    var median: Int64? {
        guard !isEmpty else { return nil }
        let sorted = self.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
