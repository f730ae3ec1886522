import Foundation
import MeshCore

/// Typed access to a JSON object with errors that name the key path.
struct JSONReader {
    let object: [String: Any]
    let path: String

    init(_ object: [String: Any], path: String) { self.object = object; self.path = path }

    func has(_ key: String) -> Bool { object[key] != nil }

    /// The object's keys (sorted).
    var keys: [String] { object.keys.sorted() }

    func rejectUnknown(_ known: [String]) throws {
        for key in object.keys.sorted() where !known.contains(key) {
            throw ScenarioError(description: "\(path): unknown key '\(key)'")
        }
    }

    func fail(_ key: String, _ what: String) -> ScenarioError {
        ScenarioError(description: "\(path).\(key): \(what)")
    }

    func int(_ key: String, default fallback: Int? = nil, range: ClosedRange<Int>) throws -> Int {
        guard let value = object[key] else {
            guard let fallback else { throw fail(key, "is required") }
            return fallback
        }
        guard let n = value as? NSNumber, n.doubleValue == n.doubleValue.rounded(), range.contains(n.intValue) else {
            throw fail(key, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return n.intValue
    }

    func double(_ key: String, default fallback: Double? = nil, range: ClosedRange<Double>) throws -> Double {
        guard let value = object[key] else {
            guard let fallback else { throw fail(key, "is required") }
            return fallback
        }
        guard let n = value as? NSNumber, range.contains(n.doubleValue) else {
            throw fail(key, "must be a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return n.doubleValue
    }

    func bool(_ key: String, default fallback: Bool) throws -> Bool {
        guard let value = object[key] else { return fallback }
        guard let b = value as? Bool else { throw fail(key, "must be true or false") }
        return b
    }

    func string(_ key: String, default fallback: String? = nil) throws -> String {
        guard let value = object[key] else {
            guard let fallback else { throw fail(key, "is required") }
            return fallback
        }
        guard let s = value as? String else { throw fail(key, "must be a string") }
        return s
    }

    func object(_ key: String) throws -> JSONReader? {
        guard let value = object[key] else { return nil }
        guard let o = value as? [String: Any] else { throw fail(key, "must be an object") }
        return JSONReader(o, path: "\(path).\(key)")
    }

    func array(_ key: String) throws -> [Any] {
        guard let value = object[key] else { return [] }
        guard let a = value as? [Any] else { throw fail(key, "must be a list") }
        return a
    }

    /// `[low, high]` seconds.
    func range(_ key: String) throws -> (Nanoseconds, Nanoseconds) {
        let a = try array(key)
        guard a.count == 2, let low = (a[0] as? NSNumber)?.doubleValue, let high = (a[1] as? NSNumber)?.doubleValue,
              low >= 0, high >= low else {
            throw fail(key, "must be [low, high] seconds")
        }
        return (.seconds(fraction: low), .seconds(fraction: high))
    }
}
