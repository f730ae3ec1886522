/// Delays in nanoseconds, plus the samples that never arrived (a crash not detected everywhere, an
/// update a node never learned). A missing sample is infinitely late: it sorts after every delay,
/// so a quantile that lands on one is `+infinity` (printed "inf"; null in JSON).
struct LateSamples {
    var delays: [Int64]
    var missing: Int

    /// The q-quantile (0…1) by nearest rank, in seconds; nil when there is no sample at all.
    func quantile(_ q: Double) -> Double? {
        let count = delays.count + missing
        guard count > 0 else { return nil }
        let rank = Swift.max(0, Swift.min(count - 1, Int((q * Double(count)).rounded(.up)) - 1))
        return seconds(at: rank, in: delays.sorted())
    }

    /// The median in seconds (the mean of the middle two for an even count); nil without samples.
    var median: Double? {
        let count = delays.count + missing
        guard count > 0 else { return nil }
        let sorted = delays.sorted()
        guard count % 2 == 0 else { return seconds(at: count / 2, in: sorted) }
        return (seconds(at: count / 2 - 1, in: sorted) + seconds(at: count / 2, in: sorted)) / 2
    }

    /// The largest delay in seconds: infinite when a sample is missing; nil without samples.
    var max: Double? { quantile(1) }

    private func seconds(at rank: Int, in sorted: [Int64]) -> Double {
        rank < sorted.count ? Double(sorted[rank]) / 1e9 : .infinity
    }
}
