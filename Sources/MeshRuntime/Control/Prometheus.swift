import MeshCore

/// The Prometheus text exposition format, version 0.0.4 (what `GET /metrics` answers): every
/// family with `# HELP` and `# TYPE`, label values escaped, histograms as cumulative `_bucket`
/// lines with `le`, then `_sum` and `_count`.
struct PrometheusText {
    /// The `Content-Type` of the format.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private(set) var text = ""

    /// A counter or gauge family: one sample per entry, each with its labels.
    mutating func family(_ name: String, _ type: String, _ help: String, _ samples: [([(String, String)], Double)]) {
        head(name, type, help)
        for (labels, value) in samples { sample(name, labels, value) }
    }

    /// A family of one unlabelled sample.
    mutating func single(_ name: String, _ type: String, _ help: String, _ value: Double) {
        family(name, type, help, [([], value)])
    }

    /// A histogram family of one series.
    mutating func histogram(_ name: String, _ help: String, _ histogram: Histogram) {
        head(name, "histogram", help)
        var cumulative: UInt64 = 0
        for (bound, count) in zip(histogram.bounds, histogram.counts) {
            cumulative &+= count
            sample(name + "_bucket", [("le", Self.number(bound))], Double(cumulative))
        }
        sample(name + "_bucket", [("le", "+Inf")], Double(histogram.count))
        sample(name + "_sum", [], histogram.sum)
        sample(name + "_count", [], Double(histogram.count))
    }

    private mutating func head(_ name: String, _ type: String, _ help: String) {
        let escaped = help.replacingOccurrences("\\", "\\\\").replacingOccurrences("\n", "\\n")
        text += "# HELP \(name) \(escaped)\n# TYPE \(name) \(type)\n"
    }

    private mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Double) {
        text += name
        if !labels.isEmpty {
            let pairs = labels.map { "\($0.0)=\"" + Self.escapeLabel($0.1) + "\"" }
            text += "{" + pairs.joined(separator: ",") + "}"
        }
        text += " " + Self.number(value) + "\n"
    }

    /// A label value with `\`, `"` and line ends escaped.
    static func escapeLabel(_ value: String) -> String {
        value.replacingOccurrences("\\", "\\\\").replacingOccurrences("\"", "\\\"").replacingOccurrences("\n", "\\n")
    }

    /// A sample value: whole numbers without a fraction, `NaN`/`+Inf`/`-Inf` spelled as the format wants.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}

/// A fixed-bucket histogram of durations in seconds.
struct Histogram: Equatable {
    /// Upper bounds of the buckets, ascending (the `+Inf` bucket is implied).
    let bounds: [Double]
    /// Observations per bucket (not cumulative), one per bound; larger ones only in `count`.
    private(set) var counts: [UInt64]
    private(set) var count: UInt64 = 0
    private(set) var sum: Double = 0

    init(bounds: [Double]) {
        self.bounds = bounds
        counts = Array(repeating: 0, count: bounds.count)
    }

    /// Records one duration (negative ones count as zero).
    mutating func observe(nanoseconds: Int64) {
        let seconds = Double(max(0, nanoseconds)) / 1e9
        if let index = bounds.firstIndex(where: { seconds <= $0 }) { counts[index] &+= 1 }
        count &+= 1
        sum += seconds
    }
}

extension String {
    /// Every occurrence of `target` replaced by `replacement` (no Foundation).
    func replacingOccurrences(_ target: Character, _ replacement: String) -> String {
        var result = ""
        for character in self { if character == target { result += replacement } else { result.append(character) } }
        return result
    }
}
