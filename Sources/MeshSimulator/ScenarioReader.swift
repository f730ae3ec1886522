import MeshCore

/// Typed access to one JSON object of a scenario file, with errors that name the key path
/// (`crash-10.events[3].node: must be a whole number from 0 to 9`).
struct JSONReader {
    let members: [(String, JSONValue)]
    let path: String

    init(_ members: [(String, JSONValue)], path: String) { self.members = members; self.path = path }

    /// The value of `key`; nil when absent. (The parser refuses repeated keys.)
    func value(_ key: String) -> JSONValue? { members.first { $0.0 == key }?.1 }

    func has(_ key: String) -> Bool { value(key) != nil }

    /// The object's keys, in the order written.
    var keys: [String] { members.map(\.0) }

    /// Fails on the first key, in the order written, that is not in `known`, listing the known ones.
    func rejectUnknown(_ known: [String]) throws {
        for key in keys where !known.contains(key) {
            throw ScenarioError(description: "\(path).\(key): unknown key '\(key)' (known keys: \(known.joined(separator: ", ")))")
        }
    }

    func fail(_ key: String, _ what: String) -> ScenarioError {
        ScenarioError(description: "\(path).\(key): \(what)")
    }

    func int(_ key: String, default fallback: Int? = nil, range: ClosedRange<Int>) throws -> Int {
        guard let value = value(key) else {
            guard let fallback else { throw fail(key, "is required") }
            return fallback
        }
        guard let n = JSONReader.wholeNumber(value), range.contains(n) else {
            throw fail(key, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return n
    }

    func double(_ key: String, default fallback: Double? = nil, range: ClosedRange<Double>) throws -> Double {
        guard let value = value(key) else {
            guard let fallback else { throw fail(key, "is required") }
            return fallback
        }
        guard let n = value.double, range.contains(n) else {
            throw fail(key, "must be a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return n
    }

    func bool(_ key: String, default fallback: Bool) throws -> Bool {
        guard let value = value(key) else { return fallback }
        guard let b = value.bool else { throw fail(key, "must be true or false") }
        return b
    }

    func string(_ key: String, default fallback: String? = nil) throws -> String {
        guard let value = value(key) else {
            guard let fallback else { throw fail(key, "is required") }
            return fallback
        }
        guard let s = value.string else { throw fail(key, "must be a string") }
        return s
    }

    func object(_ key: String) throws -> JSONReader? {
        guard let value = value(key) else { return nil }
        guard let o = value.object else { throw fail(key, "must be an object") }
        return JSONReader(o, path: "\(path).\(key)")
    }

    func array(_ key: String) throws -> [JSONValue] {
        guard let value = value(key) else { return [] }
        guard let a = value.array else { throw fail(key, "must be a list") }
        return a
    }

    /// `[low, high]` seconds.
    func range(_ key: String) throws -> (Nanoseconds, Nanoseconds) {
        guard let (low, high) = try JSONReader.pair(array(key)) else { throw fail(key, "must be [low, high] seconds") }
        return (.seconds(fraction: low), .seconds(fraction: high))
    }

    /// `[low, high]` milliseconds with high at most `atMost`, as a range of times; nil when `key` is
    /// absent. Anything else fails with `what`.
    func milliseconds(_ key: String, atMost: Double, otherwise what: String = "must be [low, high] milliseconds")
        throws -> (Nanoseconds, Nanoseconds)? {
        guard has(key) else { return nil }
        guard let (low, high) = JSONReader.pair(try array(key)), high <= atMost else { throw fail(key, what) }
        return (.seconds(fraction: low / 1000), .seconds(fraction: high / 1000))
    }

    /// `[low, high]` with 0 ≤ low ≤ high; nil for anything else.
    static func pair(_ list: [JSONValue]) -> (Double, Double)? {
        guard list.count == 2, let low = list[0].double, let high = list[1].double, low >= 0, high >= low else { return nil }
        return (low, high)
    }

    /// An integer, or a number with no fraction that fits in Int; nil for anything else.
    static func wholeNumber(_ value: JSONValue) -> Int? {
        if let n = value.integer { return Int(exactly: n) }
        guard let d = value.number, d == d.rounded(), abs(d) < 9e15 else { return nil }
        return Int(d)
    }
}

extension JSONValue {
    /// A number written with a fraction or an exponent.
    var number: Double? { if case .number(let value) = self { value } else { nil } }
}
