/// A JSON document, parsed and written without Foundation.
///
/// The node's control API, its data directory and its config file all speak JSON. Doing it by
/// hand keeps Foundation's JSON machinery (and the memory it pulls in) out of a running node, and
/// lets config parsing be strict: duplicate keys are an error, numbers keep their integer-ness.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// A number written without fraction or exponent that fits in Int64.
    case integer(Int64)
    /// A whole number above `Int64.max` and at most `UInt64.max` (counters, incarnations). Smaller
    /// whole numbers are always `.integer`, so each number has one form; build either with `unsigned(_:)`.
    case unsignedInteger(UInt64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    /// Members in the order written.
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.integer(let a), .integer(let b)): a == b
        case (.unsignedInteger(let a), .unsignedInteger(let b)): a == b
        case (.unsignedInteger(let a), .number(let b)), (.number(let b), .unsignedInteger(let a)): Double(a) == b
        case (.number(let a), .number(let b)): a == b
        case (.integer(let a), .number(let b)), (.number(let b), .integer(let a)): Double(a) == b
        case (.string(let a), .string(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    // MARK: Reading values

    /// The member `key` of an object; nil for a missing key or a non-object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.0 == key }?.1
    }

    public var string: String? { if case .string(let value) = self { value } else { nil } }
    public var bool: Bool? { if case .bool(let value) = self { value } else { nil } }
    public var array: [JSONValue]? { if case .array(let value) = self { value } else { nil } }
    public var object: [(String, JSONValue)]? { if case .object(let value) = self { value } else { nil } }
    public var isNull: Bool { self == .null }

    /// An integer value (a whole number written as such) that fits in Int64.
    public var integer: Int64? { if case .integer(let value) = self { value } else { nil } }

    /// Any number, as a Double.
    public var double: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .unsignedInteger(let value): Double(value)
        case .number(let value): value
        default: nil
        }
    }

    /// An unsigned integer (incarnations, counters), exact up to `UInt64.max`; nil for a negative,
    /// fractional or larger number.
    public var unsigned: UInt64? {
        switch self {
        case .integer(let value): value >= 0 ? UInt64(value) : nil
        case .unsignedInteger(let value): value
        default: nil
        }
    }

    /// An unsigned counter, written exactly (all 20 digits of 2^64-1 if need be) and read back exactly
    /// by `unsigned`: a stored incarnation must never come back smaller than it was (issue 7).
    public static func unsigned(_ value: UInt64) -> JSONValue {
        value <= UInt64(Int64.max) ? .integer(Int64(value)) : .unsignedInteger(value)
    }

    /// A Double, or null when it is nil or not finite.
    public static func optional(_ value: Double?) -> JSONValue {
        guard let value, value.isFinite else { return .null }
        return .number(value)
    }
}
