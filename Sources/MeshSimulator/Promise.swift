/// One thing a scenario promises about its report, written in its `"expect"` object as
/// `"<figure>": v` (exactly v), `"<figure>Max": v` (at most v) or `"<figure>Min": v` (at least v).
///
/// A figure with no sample (no crash to detect, no update to spread) breaks every promise about
/// it: a promise that nothing tested is not kept. An infinitely late figure (a quantile that lands
/// on an undetected crash or a missing delivery) breaks any `Max` and exact promise.
public struct Promise: Sendable, Equatable {
    /// How the figure must compare with the promised value.
    public enum Bound: String, Sendable {
        case exactly = "="
        case atMost = "<="
        case atLeast = ">="
    }

    /// The key as written, e.g. `deadEverywhereMedianSecondsMax`.
    public var key: String
    /// The figure it is about, e.g. `deadEverywhereMedianSeconds`.
    public var figure: String
    /// How the figure must compare with `value`.
    public var bound: Bound
    /// The promised value.
    public var value: Double

    /// The promise that `key` makes, given the figures the scenario's layers report; nil when the
    /// key names no such figure.
    static func parse(key: String, value: Double, figures: [String]) -> Promise? {
        if figures.contains(key) { return Promise(key: key, figure: key, bound: .exactly, value: value) }
        for (suffix, bound) in [("Max", Bound.atMost), ("Min", Bound.atLeast)] where key.hasSuffix(suffix) {
            let figure = String(key.dropLast(suffix.count))
            if figures.contains(figure) { return Promise(key: key, figure: figure, bound: bound, value: value) }
        }
        return nil
    }

    /// Whether `report` keeps this promise, and what it measured.
    public func check(_ report: SimulationReport) -> PromiseResult {
        let actual = report.figure(figure)
        let kept: Bool
        switch (bound, actual) {
        case (_, nil): kept = false
        case (.exactly, let a?): kept = a == value
        case (.atMost, let a?): kept = a <= value
        case (.atLeast, let a?): kept = a >= value
        }
        return PromiseResult(promise: self, actual: actual, kept: kept)
    }
}

/// A promise checked against one run.
public struct PromiseResult: Sendable {
    /// The promise checked.
    public var promise: Promise
    /// The figure measured: nil when there was no sample, `+infinity` when infinitely late.
    public var actual: Double?
    /// True when the run kept it.
    public var kept: Bool

    /// "deadEverywhereMedianSeconds 3.412 (promised <= 3)" for messages.
    public var description: String {
        let measured = actual.map { $0.isFinite ? decimal($0, digits: 3) : "inf" } ?? "no sample"
        return "\(promise.figure) \(measured) (promised \(promise.bound.rawValue) \(decimal(promise.value, digits: 3)))"
    }
}
